import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// Authenticates CertCentral calls by their `X-DC-DEVKEY` header and holds each key to its request
/// limits. Failed authentications count against the client's address, so that guessing keys is limited too.
///
/// Future-based, so that a key remembered by ``Credentials`` passes without starting a task (an
/// `AsyncMiddleware` moves every request to the cooperative pool and back); only a key not
/// remembered is looked up in the database.
struct CertCentralAuthMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let key = request.headers.first(name: "X-DC-DEVKEY")?.trimmingWhitespace() ?? ""
        let credentials = request.signet.credentials
        if !key.isEmpty, let principal = credentials.rememberedAPIKey(key) {
            return admit(request, key: key, principal: principal, next: next)
        }
        return request.eventLoop.makeFutureWithTask {
            key.isEmpty ? nil : try await credentials.apiKey(key)
        }.flatMap { principal in
            admit(request, key: key, principal: principal, next: next)
        }
    }

    private func admit(
        _ request: Request, key: String, principal: Principal?, next: any Responder
    )
        -> EventLoopFuture<Response>
    {
        let limiter = request.signet.rateLimiter
        let now = ProcessInfo.processInfo.systemUptime
        guard let principal else {
            if let wait = limiter.admit("address:\(request.remoteAddress?.ipAddress ?? "-")", now: now) {
                return request.eventLoop.makeFailedFuture(CertCentralError.rateLimited(retryAfter: wait))
            }
            return request.eventLoop.makeFailedFuture(
                CertCentralError(
                    .unauthorized, "invalid_api_key",
                    key.isEmpty ? "The X-DC-DEVKEY header with an API key is missing." : "The API key is not valid."))
        }
        let lookupID = APIKeyFormat.lookupID(of: key)
        request.credentialID = lookupID
        if let wait = limiter.admit("key:\(lookupID ?? key)", now: now) {
            return request.eventLoop.makeFailedFuture(CertCentralError.rateLimited(retryAfter: wait))
        }
        request.storage[PrincipalKey.self] = principal
        return next.respond(to: request)
    }
}

private struct PrincipalKey: StorageKey {
    typealias Value = Principal
}

extension Request {
    /// The authenticated caller; set by ``CertCentralAuthMiddleware``.
    var principal: Principal {
        get throws {
            guard let principal = storage[PrincipalKey.self] else {
                throw CertCentralError(.unauthorized, "invalid_api_key", "The request is not authenticated.")
            }
            return principal
        }
    }

    /// The body as a JSON object; anything else is CertCentral's `bad_request_format`.
    func jsonObject() throws -> JSONFields {
        guard let buffer = body.data, buffer.readableBytes > 0,
            let value = JSONValue.parse(buffer.readableBytesView), let object = JSONFields(value)
        else { throw CertCentralError.badRequestFormat }
        return object
    }

    /// The body as a JSON object, or an empty object when there is no body.
    func optionalJSONObject() throws -> JSONFields {
        guard let buffer = body.data, buffer.readableBytes > 0 else { return JSONFields(fields: [:]) }
        return try jsonObject()
    }

    /// An integer path parameter; a non-number reads as an unknown thing of that kind.
    func intParameter(_ name: String, notFound: (String) -> WorkflowError) throws -> Int {
        let raw = parameters.get(name) ?? ""
        guard let value = Int(raw) else { throw notFound(raw) }
        return value
    }

    /// `offset` and `limit` query parameters, with CertCentral's bounds.
    func page(defaultLimit: Int = 1000) throws -> (offset: Int, limit: Int) {
        let offset = try queryInt("offset") ?? 0
        let limit = try queryInt("limit") ?? defaultLimit
        guard offset >= 0 else { throw OrderRuleError.invalidValue(field: "offset", reason: "must not be negative") }
        guard (1...1000).contains(limit) else {
            throw OrderRuleError.invalidValue(field: "limit", reason: "allowed values are 1 to 1000")
        }
        return (offset, limit)
    }
}

extension Request {
    /// An integer query parameter at `path` (e.g. `filters`, `id`); a non-number is `invalid_value`.
    func queryInt(_ path: String...) throws -> Int? {
        guard let raw = query[String.self, at: path.map { $0 as any CodingKeyRepresentable }], !raw.isEmpty else { return nil }
        guard let value = Int(raw) else {
            throw OrderRuleError.invalidValue(field: path.joined(separator: "."), reason: "expected an integer")
        }
        return value
    }

    /// A string query parameter at `path`, e.g. `filters[status]` as `queryString("filters", "status")`.
    func queryString(_ path: String...) -> String? {
        guard let raw = query[String.self, at: path.map { $0 as any CodingKeyRepresentable }], !raw.isEmpty else { return nil }
        return raw
    }
}

/// `"page": {"total", "limit", "offset"}` of list responses.
struct PageView: Encodable {
    let total: Int
    let limit: Int
    let offset: Int
}
