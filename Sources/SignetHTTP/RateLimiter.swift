import Foundation
import Metrics

/// How many requests one API key may make: at most `requests` in any `seconds`-long window, for
/// every window of the policy. CertCentral documents 100 per 5 seconds and 1,000 per 5 minutes
/// per key; Signet applies the same to both dialects unless told otherwise (`--rate-limit`).
public struct RateLimitPolicy: Sendable, Equatable {
    public struct Window: Sendable, Equatable {
        public var requests: Int
        public var seconds: Double

        public init(requests: Int, seconds: Double) {
            self.requests = requests
            self.seconds = seconds
        }
    }

    public var windows: [Window]

    public init(windows: [Window]) { self.windows = windows }

    public static let certCentral = RateLimitPolicy(windows: [
        .init(requests: 100, seconds: 5), .init(requests: 1000, seconds: 300),
    ])
    public static let off = RateLimitPolicy(windows: [])

    public var isOff: Bool { windows.isEmpty }

    /// `off`, or windows such as `100/5s,1000/5m` (units s, m, h).
    public init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "off" {
            self = .off
            return
        }
        var windows: [Window] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count == 2, let requests = Int(pieces[0]), (1...1_000_000).contains(requests),
                let unit = pieces[1].last, let factor = ["s": 1.0, "m": 60.0, "h": 3600.0][String(unit)],
                let amount = Double(pieces[1].dropLast()), amount > 0, amount * factor <= 86_400
            else { return nil }
            windows.append(Window(requests: requests, seconds: amount * factor))
        }
        guard !windows.isEmpty else { return nil }
        self.windows = windows
    }

    public var argument: String {
        guard !isOff else { return "off" }
        return windows.map { window in
            window.seconds.truncatingRemainder(dividingBy: 60) == 0 && window.seconds >= 60
                ? "\(window.requests)/\(Int(window.seconds / 60))m" : "\(window.requests)/\(Int(window.seconds))s"
        }.joined(separator: ",")
    }
}

/// Exact sliding windows per key: a key is admitted when, for each window, fewer than `requests`
/// of its admitted requests fall within the last `seconds`. Each window keeps the times of the
/// key's last admitted requests in a ring (at most `requests` of them), so a refusal can say
/// precisely when the next request will be admitted (`Retry-After`).
public final class RateLimiter: @unchecked Sendable {
    private struct Ring {
        var times: [Double] = []
        var next = 0

        /// The oldest of the last `capacity` admitted times, once there are that many.
        func oldest(capacity: Int) -> Double? { times.count < capacity ? nil : times[next] }

        mutating func append(_ time: Double, capacity: Int) {
            if times.count < capacity {
                times.append(time)
            } else {
                times[next] = time
                next = (next + 1) % capacity
            }
        }
    }

    public let policy: RateLimitPolicy
    private let lock = NSLock()
    private var rings: [String: [Ring]] = [:]
    private var admissionsSincePrune = 0

    public init(policy: RateLimitPolicy) { self.policy = policy }

    /// Admits one request of `key` at `now`; `nil` when admitted, else the seconds until it would be.
    public func admit(_ key: String, now: Double) -> Double? {
        guard !policy.isOff else { return nil }
        return lock.withLock {
            var keyRings = rings[key] ?? Array(repeating: Ring(), count: policy.windows.count)
            var wait = 0.0
            for (index, window) in policy.windows.enumerated() {
                if let oldest = keyRings[index].oldest(capacity: window.requests), oldest > now - window.seconds {
                    wait = max(wait, oldest + window.seconds - now)
                }
            }
            if wait > 0 {
                // The kind of key (key, address, reseller, acme), never the key.
                Counter(label: "signet_rate_limited_total", dimensions: [("kind", String(key.prefix { $0 != ":" }))])
                    .increment()
                return wait
            }
            for (index, window) in policy.windows.enumerated() { keyRings[index].append(now, capacity: window.requests) }
            rings[key] = keyRings
            admissionsSincePrune += 1
            if admissionsSincePrune >= 10_000 { prune(now: now) }
            return nil
        }
    }

    /// Forgets every key's requests (the test double's reset).
    public func reset() { lock.withLock { rings = [:] } }

    /// Forgets keys whose every admitted request is older than the longest window.
    private func prune(now: Double) {
        admissionsSincePrune = 0
        let horizon = now - (policy.windows.map(\.seconds).max() ?? 0)
        rings = rings.filter { _, keyRings in keyRings.contains { $0.times.contains { $0 > horizon } } }
    }
}
