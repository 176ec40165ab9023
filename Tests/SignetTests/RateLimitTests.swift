import Foundation
import SignetCore
import Testing
import Vapor

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Per-key request limits (certcentral.md 11.2): 100 per 5 seconds and 1,000 per 5 minutes by
/// default, answered 429 with `Retry-After` in each dialect's error format.
@Suite("Rate limits")
struct RateLimitTests {
    @Test("Over the limit: 429 request_limit_exceeded with Retry-After in CertCentral's format; other keys go on")
    func certCentralFormat() async throws {
        // An hour-long window keeps the count independent of how fast this machine sends.
        let hourly = RateLimitPolicy(windows: [.init(requests: 100, seconds: 3600)])
        try await withSignet(configure: { $0.rateLimit = hourly }) { signet in
            var statuses: [UInt] = []
            for _ in 0..<100 { statuses.append(try await signet.call(.GET, "user/me").status.code) }
            #expect(statuses.allSatisfy { $0 == 200 })
            let limited = try await signet.call(.GET, "user/me")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "request_limit_exceeded")
            let retryAfter = try #require(limited.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect((3500...3600).contains(retryAfter))
            let (otherKey, _) = try await signet.administration.createAPIKey(role: .user, name: "other")
            #expect(try await signet.call(.GET, "user/me", key: otherKey).status == .ok)
        }
    }

    @Test("The defaults are CertCentral's: 100 in any 5 seconds and 1,000 in any 5 minutes per key")
    func certCentralDefaults() {
        #expect(SignetConfiguration().rateLimit == .certCentral)
        let limiter = RateLimiter(policy: .certCentral)
        for index in 0..<100 { #expect(limiter.admit("k", now: Double(index) * 0.01) == nil) }
        let wait = limiter.admit("k", now: 1)
        #expect(
            wait.map { abs($0 - 4) < 0.001 } == true,
            "the first request leaves the 5-second window at 5: \(String(describing: wait))")
        // 1,000 spread over five minutes, each 5-second window holding at most 100.
        var time = 5.0
        var admitted = 100
        while admitted < 1000 {
            if limiter.admit("k", now: time) == nil { admitted += 1 }
            time += 0.06
        }
        #expect(time < 300)
        #expect(limiter.admit("k", now: time).map { $0 > 0 } == true, "the 1,001st within five minutes waits")
        #expect(limiter.admit("k", now: 300.01) == nil, "the first ones left the five-minute window")
    }

    @Test("Sliding windows: at most N requests in any window, the wait is exact, and the longer window holds too")
    func slidingWindows() {
        let limiter = RateLimiter(
            policy: RateLimitPolicy(windows: [.init(requests: 3, seconds: 5), .init(requests: 5, seconds: 300)]))
        #expect([0.0, 1, 2].map { limiter.admit("k", now: $0) }.allSatisfy { $0 == nil })
        #expect(limiter.admit("k", now: 3) == 2, "the first of the three leaves the window at 5")
        #expect(limiter.admit("k", now: 5.5) == nil)
        #expect(limiter.admit("k", now: 6.5) == nil)
        #expect(limiter.admit("k", now: 20).map { $0 > 250 } == true, "five in five minutes")
        #expect(limiter.admit("other", now: 20) == nil)
        #expect(RateLimitPolicy(argument: "100/5s,1000/5m") == .certCentral)
        #expect(RateLimitPolicy(argument: "off")?.isOff == true)
        #expect(RateLimitPolicy.certCentral.argument == "100/5s,1000/5m")
        for bad in ["", "100", "0/5s", "100/5x", "100/-5s", "abc/5s", "1/2d"] {
            #expect(RateLimitPolicy(argument: bad) == nil, "\(bad)")
        }
    }

    @Test("The reseller dialect is limited per access key, in its own envelope; --rate-limit off lifts every limit")
    func resellerAndOff() async throws {
        let tight = RateLimitPolicy(windows: [.init(requests: 3, seconds: 60)])
        try await withSignet(configure: { $0.rateLimit = tight }) { signet in
            let client = try await ResellerTests.start(signet)
            var answers: [ResellerClient.Answer] = []
            for _ in 0..<4 { answers.append(try await client.call("product/list")) }
            #expect(answers.prefix(3).allSatisfy { $0.status == 200 })
            #expect(answers[3].status == 429)
            #expect(answers[3].json["success"] as? Bool == false)
            #expect(answers[3].json["error_code"] as? String == "TOO_MANY_REQUESTS")
        }
        try await withSignet(configure: { $0.rateLimit = .off }) { signet in
            for _ in 0..<150 {
                let status = try await signet.call(.GET, "user/me").status
                #expect(status == .ok)
            }
        }
    }
}
