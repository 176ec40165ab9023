import Foundation
import SignetCore
import Testing

@testable import SignetACME
@testable import SignetRA
@testable import SignetStore
@testable import SignetTestSupport

/// RFC 8555 7.1.6's state machines for challenges, authorizations and orders, without a server;
/// and an order that outlives its expiry, with one.
@Suite("ACME states")
struct ACMEStateTests {
    @Test("Challenges: pending → processing → valid | invalid, and nothing leaves a final state")
    func challenges() {
        let allowed: Set<String> = [
            "pending processing", "pending valid", "pending invalid", "processing valid", "processing invalid",
        ]
        for from in ACMEChallengeStatus.allCases {
            for to in ACMEChallengeStatus.allCases {
                #expect(from.canMove(to: to) == allowed.contains("\(from) \(to)"), "\(from) → \(to)")
            }
        }
        #expect(ACMEChallengeStatus.allCases.filter(\.isFinal) == [.valid, .invalid])
    }

    @Test("Authorizations: deactivation wins, validation next, a failed challenge, then expiry; only pending and valid move")
    func authorizations() {
        typealias Status = ACMEAuthorizationStatus
        #expect(Status(isValidated: false, challenges: [.pending], isDeactivated: false, isPastExpiry: false) == .pending)
        #expect(Status(isValidated: true, challenges: [.pending], isDeactivated: false, isPastExpiry: true) == .valid)
        #expect(
            Status(isValidated: false, challenges: [.pending, .invalid], isDeactivated: false, isPastExpiry: true) == .invalid)
        #expect(Status(isValidated: false, challenges: [], isDeactivated: false, isPastExpiry: true) == .expired)
        #expect(Status(isValidated: true, challenges: [.valid], isDeactivated: true, isPastExpiry: false) == .deactivated)
        #expect(Status.allCases.filter(\.canBeDeactivated) == [.pending, .valid])
        #expect(!Status.pending.canMove(to: .revoked), "only a valid authorization is revoked")
        for final in [Status.invalid, .deactivated, .expired, .revoked] {
            #expect(Status.allCases.allSatisfy { !final.canMove(to: $0) }, "\(final) is final")
        }
    }

    @Test("Orders: pending → ready → processing → valid, and invalid when an authorization or the order ends otherwise")
    func orders() {
        typealias Status = ACMEOrderStatus
        #expect(Status(order: .pending, authorizations: [.valid, .pending], hasCSR: false, isPastExpiry: false) == .pending)
        #expect(Status(order: .pending, authorizations: [.valid, .valid], hasCSR: false, isPastExpiry: false) == .ready)
        #expect(Status(order: .needsApproval, authorizations: [.valid], hasCSR: true, isPastExpiry: true) == .processing)
        #expect(Status(order: .issued, authorizations: [.valid], hasCSR: true, isPastExpiry: true) == .valid)
        #expect(Status(order: .revoked, authorizations: [.valid], hasCSR: true, isPastExpiry: false) == .valid)
        #expect(Status(order: .pending, authorizations: [.valid, .deactivated], hasCSR: false, isPastExpiry: false) == .invalid)
        #expect(Status(order: .pending, authorizations: [.valid], hasCSR: false, isPastExpiry: true) == .invalid)
        #expect(Status(order: .rejected, authorizations: [.valid], hasCSR: true, isPastExpiry: false) == .invalid)
        #expect(Status(order: .canceled, authorizations: [.pending], hasCSR: false, isPastExpiry: false) == .invalid)
    }

    @Test(
        "An order past its expiry without a CSR is invalid with expired authorizations; the background pass credits it back once")
    func expiry() async throws {
        let clock = FixedWallClock(Date())
        try await withSignet(clock: clock) { signet in
            _ = try await signet.administration.addBalance("1000.00")
            let (keyID, _) = try await signet.administration.createACMEExternalAccountKey(
                containerID: 1, productNameID: nil, requiresApproval: false)
            let eab = try #require(try await signet.store.read { try $0.acmeExternalAccountKey(keyID: keyID) })
            let dialect = try #require(signet.services.dialects.lazy.compactMap { $0 as? ACMEDialect }.first)
            let account = try await dialect.authority.register(jwkJSON: "{}", thumbprint: "expiry-test", contact: [], eab: eab)
            let funded = try await signet.balance()
            let opened = try await dialect.authority.newOrder(
                identifiers: ["expiring.example.com"], account: account, profile: "default", product: nil,
                certificateDays: nil)
            #expect(opened.status == .pending)
            #expect(try await signet.balance() < funded, "an ACME order is charged when it is opened")

            clock.advance(by: ACMEOrderState.lifetime + 1)
            let expired = try await dialect.authority.orderState(orderID: opened.order.id, account: account)
            #expect(expired.status == .invalid)
            #expect(expired.identifiers.map(\.status) == [.expired])
            await dialect.backgroundPass()
            #expect(try await dialect.authority.withdrawExpiredOrders() == 0, "withdrawn once")
            #expect(try await signet.balance() == funded, "credited back")
            let order = try #require(try await signet.store.read { try $0.order(id: opened.order.id) })
            #expect(order.status == .canceled)
        }
    }
}
