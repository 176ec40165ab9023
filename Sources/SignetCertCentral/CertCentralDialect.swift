import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// The DigiCert CertCentral Services API v2 under `/services/v2`, authenticated by `X-DC-DEVKEY`.
public struct CertCentralDialect: Dialect {
    public init() {}

    public var origin: OrderOrigin { .certCentral }
    public var pathPrefix: [PathComponent] { ["services", "v2"] }

    /// The OpenAPI 3.1 document of this dialect (docs/openapi-certcentral.json).
    public static var openAPIDocument: String { OpenAPIDocument.json }

    public func register(on routes: any RoutesBuilder) throws {
        let services = routes.grouped(CertCentralAuthMiddleware())
        try services.register(collection: ProductRoutes())
        try services.register(collection: AccountRoutes())
        try services.register(collection: OrderRoutes())
        try services.register(collection: RequestRoutes())
        try services.register(collection: CertificateRoutes())
        try services.register(collection: LifecycleRoutes())
        try services.register(collection: DCVRoutes())
    }

    public func response(for error: any Error, on request: Request) -> Response {
        if let mapped = CertCentralErrorTable.map(error) { return mapped.response() }
        if let abort = error as? any AbortError { return CertCentralErrorTable.map(abort: abort).response() }
        return CertCentralError(.internalServerError, "internal_error", "An internal error occurred.").response()
    }
}
