import Vapor

/// Turns every error into a response in the dialect of the path it happened on, so that a
/// client never sees another dialect's format, and nothing escapes as a bare 500.
struct DialectErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return render(error, for: request)
        }
    }

    private func render(_ error: any Error, for request: Request) -> Response {
        if request.url.path.hasPrefix("/services/v2") {
            if let mapped = CertCentralErrorTable.map(error) {
                if mapped.status.code >= 500 { logUnexpected(error, request) }
                return mapped.response()
            }
            if let abort = error as? any AbortError { return CertCentralErrorTable.map(abort: abort).response() }
            logUnexpected(error, request)
            return CertCentralError(.internalServerError, "internal_error", "An internal error occurred.").response()
        }
        if request.url.path.hasPrefix("/api/v1") {
            if let mapped = ResellerErrorTable.map(error) {
                if mapped.status.code >= 500 { logUnexpected(error, request) }
                return mapped.response()
            }
            if let abort = error as? any AbortError {
                let code = abort.status == .notFound ? "NOT_FOUND" : abort.status == .payloadTooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST"
                return ResellerError(abort.status == .methodNotAllowed ? .notFound : abort.status, code, abort.reason).response()
            }
            logUnexpected(error, request)
            return ResellerError(.internalServerError, "INTERNAL_ERROR", "An internal error occurred.").response()
        }
        let status = (error as? any AbortError)?.status ?? .internalServerError
        if status.code >= 500 { logUnexpected(error, request) }
        let response = Response(status: status)
        try? response.content.encode(["error": (error as? any AbortError)?.reason ?? "internal error"], as: .json)
        return response
    }

    private func logUnexpected(_ error: any Error, _ request: Request) {
        request.logger.error("unexpected error on \(request.method) \(request.url.path): \(String(reflecting: error))")
    }
}
