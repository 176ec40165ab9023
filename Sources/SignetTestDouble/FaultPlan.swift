import Foundation
import SignetHTTP
import Vapor

/// One injected misbehaviour: which requests it hits and what they get (docs/test-double.md).
struct Fault: Sendable {
    enum Action: Sendable, Equatable {
        /// The status in the dialect's own error format (`InjectedFault`).
        case status(HTTPResponseStatus, retryAfter: Int?)
        /// The request waits this long, then is served.
        case delay(milliseconds: Int)
        /// 200 with an empty body; the request is not served.
        case empty
        /// The request is served; its body is cut off halfway and the connection closed.
        case truncate
        /// The connection is closed without an answer; the request is not served.
        case drop
    }

    let id: String
    let dialect: String?
    let method: String?
    /// A path pattern: `*` stands for any run of characters.
    let path: String?
    /// The `X-DC-DEVKEY` the request must carry.
    let key: String?
    /// How many more requests it hits; `nil` with a probability, which hits each match with it.
    var remaining: Int?
    let probability: Double?
    let action: Action

    func matches(
        dialect requestDialect: String?, method requestMethod: String, path requestPath: String, key requestKey: String?
    )
        -> Bool
    {
        if let dialect, dialect != requestDialect { return false }
        if let method, method.uppercased() != requestMethod { return false }
        if let key, key != requestKey { return false }
        if let path, !Self.glob(path, matches: requestPath) { return false }
        return true
    }

    /// `*` matches any run of characters, everything else itself.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == text }
        var rest = Substring(text)
        guard let first = parts.first, rest.hasPrefix(first) else { return false }
        rest = rest.dropFirst(first.count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        guard let last = parts.last else { return true }
        return last.isEmpty || (rest.hasSuffix(last) && rest.count >= last.count)
    }

    var json: [String: Any] {
        var object: [String: Any] = ["id": id]
        if let dialect { object["dialect"] = dialect }
        if let method { object["method"] = method }
        if let path { object["path"] = path }
        if key != nil { object["key"] = "set" }
        if let remaining { object["remaining"] = remaining }
        if let probability { object["probability"] = probability }
        switch action {
        case .status(let status, let retryAfter):
            object["status"] = Int(status.code)
            if let retryAfter { object["retry_after"] = retryAfter }
        case .delay(let milliseconds): object["delay_ms"] = milliseconds
        case .empty: object["empty"] = true
        case .truncate: object["truncate"] = true
        case .drop: object["drop"] = true
        }
        return object
    }
}

/// The faults in force, first added first tried; a request gets at most one.
final class FaultPlan: @unchecked Sendable {
    private let lock = NSLock()
    private var faults: [Fault] = []
    private var counter = 0

    func add(_ make: (String) -> Fault) -> Fault {
        lock.withLock {
            counter += 1
            let fault = make("f\(counter)")
            faults.append(fault)
            return fault
        }
    }

    var all: [Fault] { lock.withLock { faults } }

    func remove(id: String) -> Bool {
        lock.withLock {
            let before = faults.count
            faults.removeAll { $0.id == id }
            return faults.count != before
        }
    }

    func clear() { lock.withLock { faults.removeAll() } }

    /// The action for a request, if a fault hits it; a counted fault uses one of its hits.
    func action(dialect: String?, method: String, path: String, key: String?) -> Fault.Action? {
        lock.withLock {
            for index in faults.indices
            where faults[index].matches(dialect: dialect, method: method, path: path, key: key) {
                if let remaining = faults[index].remaining {
                    if remaining <= 1 { return faults.remove(at: index).action }
                    faults[index].remaining = remaining - 1
                    return faults[index].action
                }
                if let probability = faults[index].probability, Double.random(in: 0..<1) < probability {
                    return faults[index].action
                }
            }
            return nil
        }
    }
}
