import Foundation
import Logging
import Metrics
import NIOCore
import SignetCore
import Vapor

/// Gives every request an id and writes one access line for it (docs/operations.md).
///
/// The id is the client's `X-Request-ID` when it is a plain token (letters, digits, `-`, `_`, `.`,
/// `:`, at most 128), else a new one; it is echoed in the `X-Request-ID` response header, added as
/// `request_id` to every JSON error body of every dialect, and carried by every log line the
/// request writes. Mounted outermost, so that it sees the answer the dialect rendered for an error.
///
/// A future-based middleware, as is ``DialectErrorMiddleware``: an `AsyncMiddleware` starts a task
/// and moves the request to the cooperative pool and back at each layer (measured: two of the
/// context switches of every request).
public struct RequestLog: Middleware {
    public static let header = "X-Request-ID"
    let access: Logger?
    private let instruments = Instruments()

    /// - Parameter accessLog: whether to write the access line (`--access-log off` turns it off).
    public init(accessLog: Bool) {
        access = accessLog ? Logger(label: "signet.access") : nil
    }

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let id = Self.accepted(request.headers.first(name: Self.header)) ?? Self.newID()
        request.logger[metadataKey: "request_id"] = .string(id)
        let started = NIODeadline.now()
        return next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: Self.header, value: id)
            if response.status.code >= 400 { Self.stamp(response, id: id) }
            log(request, status: response.status.code, started: started, id: id)
            return response
        }.flatMapErrorThrowing { error in
            // The dialects render every error; anything else is still answered with its id.
            log(request, status: (error as? any AbortError)?.status.code ?? 500, started: started, id: id)
            throw error
        }
    }

    private func log(_ request: Request, status: UInt, started: NIODeadline, id: String) {
        let nanoseconds = (NIODeadline.now() - started).nanoseconds
        let (route, counter, timer) = instruments.for(request, status: status)
        counter.increment()
        timer.recordNanoseconds(nanoseconds)
        guard let access else { return }
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "route": .string(route), "status": .stringConvertible(status),
            "duration_ms": .string(Self.milliseconds(nanoseconds)), "request_id": .string(id),
            "client": .string(request.remoteAddress?.ipAddress ?? "-"),
        ]
        if let credential = request.credentialID { metadata["key_id"] = .string(credential) }
        access.info("\(request.method.rawValue) \(route) \(status)", metadata: metadata)
    }

    /// `12.34`: milliseconds with two decimals, rounded (what `String(format: "%.2f")` wrote, for
    /// less than its cost on every request).
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let hundredths = (max(nanoseconds, 0) + 5_000) / 10_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// The dialect a route belongs to, by its first path component.
    static func dialect(of first: String?) -> String {
        switch first {
        case "services": return "certcentral"
        case "api": return "reseller"
        case "acme": return "acme"
        case "test-double": return "management"
        case nil: return "none"
        default: return "signet"
        }
    }

    /// The client's id when it is a plain token a log line can carry as it is.
    static func accepted(_ raw: String?) -> String? {
        guard let raw, (1...128).contains(raw.utf8.count),
            raw.utf8.allSatisfy({
                $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: ":")
            })
        else { return nil }
        return raw
    }

    static func newID() -> String {
        Hex.lowercase(SecureRandom.bytes(16))
    }

    /// Adds `request_id` to a JSON object body (CertCentral's `errors`, the reseller's envelope,
    /// ACME's problem document, the management API's `error`); other bodies are left as they are.
    static func stamp(_ response: Response, id: String) {
        guard let buffer = response.body.buffer, buffer.readableBytes > 1, buffer.readableBytes < 1 << 20,
            buffer.readableBytesView.first == UInt8(ascii: "{"),
            var object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
        else { return }
        object["request_id"] = id
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        response.body = .init(data: data)
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

private struct CredentialIDKey: StorageKey {
    typealias Value = String
}

extension Request {
    /// The public id of the credential the request authenticated with (an API key's lookup id, a
    /// reseller's access key id, an ACME account), never a secret: the access line shows it.
    public var credentialID: String? {
        get { storage[CredentialIDKey.self] }
        set { storage[CredentialIDKey.self] = newValue }
    }
}

/// The request metrics of each route, method and status, made once: making them per request
/// (labels joined, names checked, the registry searched under its lock) cost more than recording.
private final class Instruments: @unchecked Sendable {
    private struct Key: Hashable {
        let route: ObjectIdentifier?
        let method: String
        let status: UInt
    }

    private let lock = NSLock()
    private var made: [Key: (route: String, counter: Counter, timer: Timer)] = [:]

    func `for`(_ request: Request, status: UInt) -> (route: String, counter: Counter, timer: Timer) {
        let key = Key(route: request.route.map(ObjectIdentifier.init), method: request.method.rawValue, status: status)
        if let known = lock.withLock({ made[key] }) { return known }
        // Unrouted paths share one label, so that scanning for URLs cannot grow the metrics without end.
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "(no route)"
        let dimensions = [
            ("dialect", RequestLog.dialect(of: request.route?.path.first?.description)), ("route", route),
            ("method", request.route == nil ? "-" : request.method.rawValue), ("status", String(status)),
        ]
        let instruments = (
            route,
            Counter(label: "signet_http_requests_total", dimensions: dimensions),
            Timer(
                label: "signet_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)),
                preferredDisplayUnit: .seconds)
        )
        lock.withLock {
            // Methods and statuses are few, routes are the app's: this stays small; the bound is a guard.
            if made.count > 10_000 { made.removeAll() }
            made[key] = instruments
        }
        return instruments
    }
}
