import NIOCore
import NIOHTTP1
import Vapor

/// Turns every error into a response in the dialect of the path it happened on, so that a client
/// never sees another dialect's format, and nothing escapes as a bare 500.
public struct DialectErrorMiddleware: Middleware {
    public let dialects: [any Dialect]

    public init(dialects: [any Dialect]) { self.dialects = dialects }

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in self.response(for: error, on: request) }
    }

    func response(for error: any Error, on request: Request) -> Response {
        let error = Self.clientFault(error, request) ?? error
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

    /// A request the client broke off (an upload cut short, a connection closed mid-body) as the
    /// client's 400, logged below error level: error lines are kept for Signet's own faults.
    static func clientFault(_ error: any Error, _ request: Request) -> (any Error)? {
        let aborted: Bool
        switch error {
        case is HTTPParserError: aborted = true
        case let channel as ChannelError: aborted = [.eof, .ioOnClosedChannel, .inputClosed, .outputClosed].contains(channel)
        default: aborted = false
        }
        guard aborted else { return nil }
        request.logger.notice(
            "the client ended \(request.method) \(request.url.path) before its request was whole: \(String(reflecting: error))")
        return Abort(.badRequest, reason: "the request ended before its body did")
    }

    /// Logs a server-side failure at error level; a fault the test double injected is its own doing.
    public static func logUnexpected(_ error: any Error, _ request: Request) {
        if let fault = error as? InjectedFault {
            request.logger.debug("injected \(fault.status.code) on \(request.method) \(request.url.path)")
            return
        }
        request.logger.error("unexpected error on \(request.method) \(request.url.path): \(String(reflecting: error))")
    }
}
