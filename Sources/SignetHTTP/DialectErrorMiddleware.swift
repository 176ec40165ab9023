import Vapor

/// Turns every error into a response in the dialect of the path it happened on, so that a client
/// never sees another dialect's format, and nothing escapes as a bare 500.
public struct DialectErrorMiddleware: AsyncMiddleware {
    public let dialects: [any Dialect]

    public init(dialects: [any Dialect]) { self.dialects = dialects }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let path = request.url.path
            if let dialect = dialects.first(where: { path == $0.pathString || path.hasPrefix($0.pathString + "/") }) {
                let response = dialect.response(for: error, on: request)
                if response.status.code >= 500 { Self.logUnexpected(error, request) }
                return response
            }
            let status = (error as? any AbortError)?.status ?? .internalServerError
            if status.code >= 500 { Self.logUnexpected(error, request) }
            let response = Response(status: status)
            try? response.content.encode(["error": (error as? any AbortError)?.reason ?? "internal error"], as: .json)
            return response
        }
    }

    public static func logUnexpected(_ error: any Error, _ request: Request) {
        request.logger.error("unexpected error on \(request.method) \(request.url.path): \(String(reflecting: error))")
    }
}
