import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// The AnquanSSL reseller API under `/api/v1` (reseller.md 4), every call signed.
struct ResellerRoutes: RouteCollection {
    let desk: ResellerDesk
    let accounts: ResellerAccounts

    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped(ResellerAuthMiddleware(accounts: accounts))
        // The SDKs use GET for reads and POST for changes; both verbs are accepted for every call.
        func both(_ path: PathComponent..., use handler: @escaping @Sendable (Request) async throws -> JSONValue) {
            for method in [HTTPMethod.GET, .POST] {
                api.on(method, path) { request in Self.envelope(try await handler(request)) }
            }
        }
        both("product", "list") { _ in Self.products() }
        both("certificate", "create") { request in
            let caller = try request.resellerCaller
            return try await desk.create(caller, fingerprint: Self.fingerprint(request, caller))
        }
        both("certificate", "detail") { try await desk.detail(try $0.resellerCaller) }
        both("certificate", "list") { try await desk.list(try $0.resellerCaller) }
        both("certificate", "reissue") { request in
            let caller = try request.resellerCaller
            return try await desk.reissue(caller, fingerprint: Self.fingerprint(request, caller))
        }
        both("certificate", "update-dcv") { try await desk.updateDCV(try $0.resellerCaller) }
        both("certificate", "validate-dcv") { try await desk.validateDCV(try $0.resellerCaller) }
        both("certificate", "add-san") { try await desk.addSAN(try $0.resellerCaller) }
        both("certificate", "remove-san") { try await desk.removeSAN(try $0.resellerCaller) }
        both("certificate", "refund") { try await desk.refund(try $0.resellerCaller) }
    }

    /// `{success:true, message:"OK", code:0, data}`: the SDKs read `success` and `data`; the list page documents `code`.
    static func envelope(_ data: JSONValue) -> Response {
        let response = Response(status: .ok)
        response.headers.contentType = .json
        let body = JSONValue.object(["success": .bool(true), "message": .string("OK"), "code": .number(0), "data": data])
        response.body = .init(data: Data(body.jsonText.utf8))
        return response
    }

    /// Identifies a request's content for `unique_id`: the path and the business parameters.
    static func fingerprint(_ request: Request, _ caller: ResellerCaller) -> String {
        RegistrationAuthority.fingerprint(
            Array(request.url.path.utf8) + [0] + JSONValue.object(caller.parameters.fields).canonicalBytes)
    }

    static func products() -> JSONValue {
        let products = ProductCatalog.all.filter(\.isTLS).map { product -> JSONValue in
            let periods = ResellerDesk.periods.filter { product.allowedValidityYears.contains($0.value) }
            var normal: [String: JSONValue] = [:]
            for (period, years) in periods {
                normal[period] = .number(product.price(nameCount: 1, years: years).asDouble)
                normal[period.prefix(1).uppercased() + period.dropFirst()] = .number(
                    product.price(nameCount: 1, years: years).asDouble)
            }
            let level: Double = product.validationLevel == .dv ? 1 : product.validationLevel == .ov ? 2 : 3
            return .object([
                "id": .string(product.nameID), "name": .string(product.name),
                "support_wildcard": .bool(product.wildcardAllowed), "support_greenbar": .bool(product.validationLevel == .ev),
                "support_san": .bool(product.additionalNamesAllowed), "validation_level": .number(level),
                "support_periods": .array(periods.sorted { $0.value < $1.value }.map { JSONValue.string($0.key) }),
                "pricing": .object([
                    "normal": .object(normal),
                    "san": .number(product.pricePerAdditionalName.asDouble),
                ]),
            ])
        }
        return .object(["products": .array(products)])
    }
}
