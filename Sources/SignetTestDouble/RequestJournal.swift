import Foundation
import Vapor

/// The requests the double received, newest last, at most 10,000 (docs/test-double.md): what a
/// suite asserts its client did.
final class RequestJournal: @unchecked Sendable {
    struct Entry: Sendable {
        let date: Date
        let dialect: String?
        let method: String
        let path: String
        let query: String?
        /// The first eight characters of the `X-DC-DEVKEY` the request carried (enough to tell keys apart).
        let key: String?
        let status: UInt
        let fault: String?

        var json: [String: Any] {
            var object: [String: Any] = [
                "date": ISO8601DateFormatter().string(from: date), "method": method, "path": path, "status": status,
            ]
            if let dialect { object["dialect"] = dialect }
            if let query { object["query"] = query }
            if let key { object["key"] = key }
            if let fault { object["fault"] = fault }
            return object
        }
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    static let capacity = 10_000

    func record(dialect: String?, request: Request, key: String?, status: UInt, fault: Fault.Action?) {
        let entry = Entry(
            date: Date(), dialect: dialect, method: request.method.rawValue, path: request.url.path, query: request.url.query,
            key: key.map { String($0.prefix(8)) }, status: status, fault: fault.map(Self.describe))
        lock.withLock {
            entries.append(entry)
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
    }

    var all: [Entry] { lock.withLock { entries } }

    func clear() { lock.withLock { entries.removeAll() } }

    static func describe(_ action: Fault.Action) -> String {
        switch action {
        case .status(let status, _): return "status \(status.code)"
        case .delay(let milliseconds): return "delay \(milliseconds) ms"
        case .empty: return "empty"
        case .truncate: return "truncate"
        case .drop: return "drop"
        }
    }
}
