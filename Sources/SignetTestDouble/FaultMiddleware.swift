import Foundation
import NIOCore
import SignetHTTP
import Vapor

/// Applies the fault plan to the dialects' requests and records every request in the journal.
/// Mounted inside the error middleware, so that an injected status is rendered in the format of
/// the dialect whose path it hit.
public struct FaultMiddleware: AsyncMiddleware {
    let double: TestDouble
    /// Each dialect's name (its orders' origin) and path prefix.
    let dialects: [(name: String, prefix: String)]

    public init(double: TestDouble, dialects: [(name: String, prefix: String)]) {
        self.double = double
        self.dialects = dialects
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        let dialect = dialects.first { path == $0.prefix || path.hasPrefix($0.prefix + "/") }?.name
        // The management API is never faulted, nor journaled.
        guard !path.hasPrefix("/test-double") else { return try await next.respond(to: request) }
        let key = request.headers.first(name: "X-DC-DEVKEY")
        let action = double.faults.action(dialect: dialect, method: request.method.rawValue, path: path, key: key)
        let response: Response
        do {
            response = try await answer(request, action: action, next: next)
        } catch {
            double.journal.record(dialect: dialect, request: request, key: key, status: Self.status(of: error), fault: action)
            throw error
        }
        double.journal.record(dialect: dialect, request: request, key: key, status: response.status.code, fault: action)
        if response.status == .ok, let orderID = Self.polledOrder(dialect: dialect, request: request, path: path),
            double.registration.pace.countPoll(orderID: orderID)
        {
            // That was the last read the order waited for: sign what is ready before the next one. The
            // client's answer is already made; a failure here leaves the order to the background pass.
            do {
                _ = try await double.registration.advanceApprovedCertificates()
            } catch {
                request.logger.warning("test double: signing after the last poll of order \(orderID) failed: \(error)")
            }
        }
        return response
    }

    /// The order a client's status read names: CertCentral's `GET …/order/certificate/{id}` and
    /// ACME's POST-as-GET of `…/order/{id}` (docs/test-double.md, asynchronous issuance).
    static func polledOrder(dialect: String?, request: Request, path: String) -> Int? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, let id = Int(parts[parts.count - 1]) else { return nil }
        switch (dialect, request.method) {
        case ("certcentral", .GET):
            return parts[parts.count - 2] == "certificate" && parts.count >= 3 && parts[parts.count - 3] == "order" ? id : nil
        case ("acme", .POST): return parts[parts.count - 2] == "order" ? id : nil
        default: return nil
        }
    }

    private func answer(_ request: Request, action: Fault.Action?, next: any AsyncResponder) async throws -> Response {
        switch action {
        case nil:
            return try await next.respond(to: request)
        case .status(let status, let retryAfter):
            throw InjectedFault(status: status, retryAfter: retryAfter)
        case .delay(let milliseconds):
            try await Task.sleep(nanoseconds: UInt64(milliseconds) * 1_000_000)
            return try await next.respond(to: request)
        case .empty:
            return Response(status: .ok)
        case .truncate:
            let served = try await next.respond(to: request)
            return Self.truncated(served)
        case .drop:
            // A body that fails before its first byte: the server closes the connection.
            let response = Response(status: .ok)
            response.body = .init(
                asyncStream: { writer in try await writer.write(.error(Abort(.internalServerError))) }, count: 1)
            return response
        }
    }

    /// The answer with half its body, declared whole: the client reads to the middle and the
    /// connection closes.
    static func truncated(_ response: Response) -> Response {
        let bytes = response.body.buffer.map { Array($0.readableBytesView) } ?? []
        let half = Array(bytes.prefix(max(1, bytes.count / 2)))
        let cut = Response(status: response.status, headers: response.headers)
        cut.body = .init(
            asyncStream: { writer in
                try await writer.write(.buffer(ByteBuffer(bytes: half)))
                try await writer.write(.error(Abort(.internalServerError)))
            }, count: max(bytes.count, 2))
        return cut
    }

    static func status(of error: any Error) -> UInt {
        if let fault = error as? InjectedFault { return fault.status.code }
        return (error as? any AbortError)?.status.code ?? 500
    }
}
