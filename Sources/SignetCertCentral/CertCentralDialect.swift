import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// The DigiCert CertCentral Services API v2 under `/services/v2`, authenticated by `X-DC-DEVKEY`.
public struct CertCentralDialect: Dialect {
    /// The RA as this dialect sees it: its commands and nothing else.
    let workflow: any CertCentralWorkflow

    public init(workflow: any CertCentralWorkflow) { self.workflow = workflow }

    public var origin: OrderOrigin { .certCentral }
    public var pathPrefix: [PathComponent] { ["services", "v2"] }

    /// The OpenAPI 3.1 document of this dialect (docs/openapi-certcentral.json).
    public static var openAPIDocument: String { OpenAPIDocument.json }

    public func register(on routes: any RoutesBuilder) throws {
        let services = routes.grouped(CertCentralAuthMiddleware())
        try services.register(collection: ProductRoutes())
        try services.register(collection: AccountRoutes(workflow: workflow))
        try services.register(collection: OrderRoutes(workflow: workflow))
        try services.register(collection: RequestRoutes(workflow: workflow))
        try services.register(collection: CertificateRoutes())
        try services.register(collection: LifecycleRoutes(workflow: workflow))
        try services.register(collection: DCVRoutes(workflow: workflow))
    }

    public func response(for error: any Error, on request: Request) -> Response {
        if let mapped = CertCentralErrorTable.map(error) { return mapped.response() }
        if let abort = error as? any AbortError { return CertCentralErrorTable.map(abort: abort).response() }
        return CertCentralError(.internalServerError, "internal_error", "An internal error occurred.").response()
    }
}
