import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetStore
@testable import SignetTestSupport

/// Renewals: by hand with `renewal_of_order_id`, and automatic with `auto_renew` 30 days before an order ends.
@Suite("Renewals")
struct RenewalTests {
    static let start = ValidityPolicy.utcDay(2026, 11, 23)
    static let day: TimeInterval = 86_400

    /// An issued one-year Basic OV order for example.com with `auto_renew`; returns its id.
    static func placeOrder(
        _ signet: TestSignet, organizationID: Int, autoRenew: Int = 0, extra: [String: Any] = [:]
    )
        async throws -> Int
    {
        var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, dnsNames: [])
        body["validity_years"] = 1
        body["auto_renew"] = autoRenew
        for (key, value) in extra { body[key] = value }
        let response = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
        #expect(response.status == .created, "\(response.text)")
        return try #require(response.json["id"] as? Int, "\(response.text)")
    }

    /// Waits (up to 20 s of background passes) until `condition` holds for the order's info.
    static func waitForOrder(
        _ signet: TestSignet, _ id: Int, until condition: ([String: Any]) -> Bool
    ) async throws
        -> [String: Any]
    {
        var info: [String: Any] = [:]
        for _ in 0..<200 {
            info = try await signet.call(.GET, "order/certificate/\(id)").json
            if condition(info) { return info }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        Issue.record("order \(id) never reached the expected state: \(info)")
        return info
    }

    /// Waits (up to 20 s of background passes) until the order's automatic renewal is scheduled for `date`.
    static func waitForAutoRenewalDue(_ signet: TestSignet, _ orderID: Int, _ date: Date) async throws {
        var due: Date?
        for _ in 0..<200 {
            due = try await signet.store.read { try Self.autoRenewalDue(orderID, $0) }
            if due == date { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        Issue.record("order \(orderID): the automatic renewal is due \(String(describing: due)), not \(date)")
    }

    /// Lets a few background passes run (the test servers run one every 0.2 s).
    static func letPassesRun() async throws { try await Task.sleep(nanoseconds: 800_000_000) }

    @Test(
        "auto_renew: renewed once, 30 days before the end, with the same key and names, credited and charged; the count goes down"
    )
    func automaticRenewal() async throws {
        let clock = FixedWallClock(Self.start)
        try await withSignet(dcv: .alwaysValid, clock: clock) { signet in
            let organizationID = try await signet.prepareAccount()
            let first = try await Self.placeOrder(signet, organizationID: organizationID, autoRenew: 2)
            let price = Money(cents: 21_800)
            let funded = try await signet.balance()

            // 300 days in, the renewal is not due yet.
            clock.advance(by: 300 * Self.day)
            try await Self.letPassesRun()
            #expect(try await signet.call(.GET, "order/certificate/\(first)").json["is_renewed"] as? Bool == false)
            #expect(try await signet.orderCount() == 1)

            // 340 days in (25 left), it is: one renewal, whatever number of passes run.
            clock.advance(by: 40 * Self.day)
            let old = try await Self.waitForOrder(signet, first) { $0["is_renewed"] as? Bool == true }
            let second = try #require(old["renewed_order_id"] as? Int)
            try await Self.letPassesRun()
            #expect(try await signet.orderCount() == 2)
            let renewal = try await signet.call(.GET, "order/certificate/\(second)").json
            #expect(renewal["status"] as? String == "issued", "\(renewal)")
            #expect(renewal["is_renewal"] as? Bool == true)
            #expect(renewal["renewal_of_order_id"] as? Int == first)
            #expect(renewal["auto_renew"] as? Int == 1)
            let oldCertificate = try #require((old["certificate"] as? [String: Any])?["id"] as? Int)
            #expect(renewal["renewed_thumbprint"] as? String == (old["certificate"] as? [String: Any])?["thumbprint"] as? String)
            // A full year from the renewal, plus the 25 days the old order still had.
            #expect(
                renewal["order_valid_till"] as? String == CertCentralFormat.day(Self.start.addingTimeInterval(730 * Self.day)))

            // The same names and key (the old order's CSR), a chain that openssl verifies.
            let newCertificate = try #require((renewal["certificate"] as? [String: Any])?["id"] as? Int)
            let records = try await signet.store.read { try $0.certificates(ids: [oldCertificate, newCertificate]) }
            #expect(records[newCertificate]?.csr == records[oldCertificate]?.csr)
            #expect(records[newCertificate]?.names == records[oldCertificate]?.names)
            let pems = Tools.pemBlocks(
                try await signet.call(.GET, "certificate/\(newCertificate)/download/format/pem_all").text)
            let verdict = try await Tools.verify(
                leaf: pems[0], intermediate: pems[1], root: pems[2], purpose: "sslserver", at: clock.now())
            #expect(verdict.status == 0, "openssl verify: \(verdict.output) \(verdict.error)")

            // Charged once, at the old order's price; the ledger agrees.
            #expect(try await signet.balance() == funded - price)
            #expect(try await signet.store.read { try $0.ledgerSum() } == funded - price)
            let renewed = try await signet.call(.GET, "order/certificate?filters[is_renewed]=1").json
            #expect((renewed["orders"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [first])

            // The renewal renews itself once more (auto_renew 1 -> 0), and that one does not.
            clock.advance(by: 380 * Self.day)
            let secondInfo = try await Self.waitForOrder(signet, second) { $0["is_renewed"] as? Bool == true }
            let third = try #require(secondInfo["renewed_order_id"] as? Int)
            #expect(try await signet.call(.GET, "order/certificate/\(third)").json["auto_renew"] as? Int == 0)
            clock.advance(by: 400 * Self.day)
            try await Self.letPassesRun()
            #expect(try await signet.orderCount() == 3)
            #expect(try await signet.balance() == funded - price - price)
        }
    }

    @Test("A renewal the account cannot pay for changes nothing and is tried again a day later")
    func failedRenewalRetries() async throws {
        let clock = FixedWallClock(Self.start)
        try await withSignet(dcv: .alwaysValid, clock: clock) { signet in
            let organizationID = try await signet.prepareAccount(funds: "218.00")
            let first = try await Self.placeOrder(signet, organizationID: organizationID, autoRenew: 1)
            #expect(try await signet.balance() == .zero)

            clock.advance(by: 340 * Self.day)
            // The attempt fails; the next one is a day later.
            try await Self.waitForAutoRenewalDue(signet, first, Self.start.addingTimeInterval(341 * Self.day))
            #expect(try await signet.orderCount() == 1)
            #expect(try await signet.balance() == .zero)

            // Funds arrive; nothing happens until the next attempt is due, then the renewal goes through.
            _ = try await signet.administration.addBalance("218.00")
            try await Self.letPassesRun()
            #expect(try await signet.orderCount() == 1)
            clock.advance(by: Self.day)
            let info = try await Self.waitForOrder(signet, first) { $0["is_renewed"] as? Bool == true }
            #expect(info["renewed_order_id"] as? Int != nil)
            #expect(try await signet.balance() == .zero)
        }
    }

    @Test("An order whose certificate was revoked is not renewed automatically: its key may be compromised")
    func revokedCertificateIsNotRenewed() async throws {
        let clock = FixedWallClock(Self.start)
        try await withSignet(dcv: .alwaysValid, clock: clock) { signet in
            let organizationID = try await signet.prepareAccount()
            let first = try await Self.placeOrder(signet, organizationID: organizationID, autoRenew: 1)
            let info = try await signet.call(.GET, "order/certificate/\(first)").json
            let certificateID = try #require((info["certificate"] as? [String: Any])?["id"] as? Int)
            let revoked = try await signet.call(
                .PUT, "certificate/\(certificateID)/revoke", json: ["skip_approval": true, "revocation_reason": "key_compromise"])
            #expect(revoked.status == .noContent, "\(revoked.text)")
            let balance = try await signet.balance()
            clock.advance(by: 340 * Self.day)
            try await Self.waitForAutoRenewalDue(signet, first, Self.start.addingTimeInterval(341 * Self.day))
            #expect(try await signet.orderCount() == 1)
            #expect(try await signet.balance() == balance)
        }
    }

    @Test("renewal_of_order_id: credited, marks the old order renewed, once; wrong thumbprints and ineligible orders are refused")
    func manualRenewal() async throws {
        let clock = FixedWallClock(Self.start)
        try await withSignet(dcv: .alwaysValid, clock: clock) { signet in
            let organizationID = try await signet.prepareAccount()
            let first = try await Self.placeOrder(signet, organizationID: organizationID)
            let info = try await signet.call(.GET, "order/certificate/\(first)").json
            let thumbprint = try #require((info["certificate"] as? [String: Any])?["thumbprint"] as? String)

            // Refusals change nothing: unknown order, wrong thumbprint, an order that is not issued.
            let pending = try await Self.placeOrder(signet, organizationID: organizationID, extra: ["skip_approval": false])
            let balance = try await signet.balance()
            for (extra, status, code) in [
                (["renewal_of_order_id": 999_999], 404, "not_found|order"),
                (
                    ["renewal_of_order_id": first, "renewed_thumbprint": String(repeating: "AB", count: 20)], 400,
                    "order_not_eligible_for_renewal"
                ),
                (["renewal_of_order_id": pending], 400, "order_not_eligible_for_renewal"),
            ] as [([String: Any], Int, String)] {
                var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, dnsNames: [])
                body["validity_years"] = 1
                for (key, value) in extra { body[key] = value }
                let refused = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
                #expect(Int(refused.status.code) == status, "\(refused.text)")
                #expect(((refused.json["errors"] as? [[String: Any]])?.first?["code"] as? String) == code, "\(refused.text)")
            }
            #expect(try await signet.balance() == balance)
            #expect(try await signet.orderCount() == 2)

            // Eight clients renew the same order at once (lower-case thumbprint): exactly one wins.
            clock.advance(by: 345 * Self.day)
            let attempts = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, dnsNames: [])
                        body["validity_years"] = 1
                        body["renewal_of_order_id"] = first
                        body["renewed_thumbprint"] = thumbprint.lowercased()
                        return try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
                    }
                }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            let won = attempts.filter { $0.status == .created }
            #expect(won.count == 1, "\(attempts.map(\.text))")
            for lost in attempts where lost.status != .created {
                #expect(lost.status == .badRequest)
                #expect(lost.text.contains("order_renewed_already"), "\(lost.text)")
            }
            let second = try #require(won.first?.json["id"] as? Int)
            #expect(try await signet.balance() == balance - Money(cents: 21_800))
            #expect(try await signet.orderCount() == 3)

            let old = try await signet.call(.GET, "order/certificate/\(first)").json
            #expect(old["is_renewed"] as? Bool == true)
            #expect(old["renewed_order_id"] as? Int == second)
            let renewal = try await signet.call(.GET, "order/certificate/\(second)").json
            // A year from the renewal plus the 20 days left of the old order.
            let yearLater = Calendar.utc.date(byAdding: .year, value: 1, to: clock.now())!
            #expect(renewal["order_valid_till"] as? String == CertCentralFormat.day(yearLater.addingTimeInterval(20 * Self.day)))
            let notRenewed = try await signet.call(.GET, "order/certificate?filters[is_renewed]=0").json
            #expect(Set((notRenewed["orders"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? []) == [pending, second])
            let badFilter = try await signet.call(.GET, "order/certificate?filters[is_renewed]=maybe")
            #expect(badFilter.status == .badRequest, "\(badFilter.text)")
        }
    }

    @Test("A renewal whose request is rejected leaves the old order renewable again")
    func rejectedRenewalUnlinks() async throws {
        try await withSignet(dcv: .alwaysValid) { signet in
            let organizationID = try await signet.prepareAccount()
            let first = try await Self.placeOrder(signet, organizationID: organizationID, autoRenew: 1)
            var body = TestData.secureSiteOrder(
                csr: try TestData.csr(), organizationID: organizationID, dnsNames: [], skipApproval: false)
            body["validity_years"] = 1
            body["renewal_of_order_id"] = first
            let renewal = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
            let requestID = try #require((renewal.json["requests"] as? [[String: Any]])?.first?["id"] as? Int, "\(renewal.text)")
            #expect(try await signet.call(.GET, "order/certificate/\(first)").json["is_renewed"] as? Bool == true)
            #expect(try await signet.call(.PUT, "request/\(requestID)/status", json: ["status": "rejected"]).status == .noContent)
            let old = try await signet.call(.GET, "order/certificate/\(first)").json
            #expect(old["is_renewed"] as? Bool == false, "\(old)")
            #expect(try await signet.store.read { try Self.autoRenewalDue(first, $0) } == nil)
            body["skip_approval"] = true
            let again = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
            #expect(again.status == .created, "\(again.text)")
            #expect(
                try await signet.call(.GET, "order/certificate/\(first)").json["renewed_order_id"] as? Int == again.json["id"]
                    as? Int)
        }
    }

    @Test("An upgrade from a database without renewal columns keeps what its orders asked for")
    func upgradeFillsRenewalColumns() async throws {
        let clock = FixedWallClock(Self.start)
        let signet = try await TestSignet.start(dcv: .alwaysValid, clock: clock)
        let directory = signet.directory
        let (first, second) = try await {
            let organizationID = try await signet.prepareAccount()
            let first = try await Self.placeOrder(signet, organizationID: organizationID, autoRenew: 1)
            let second = try await Self.placeOrder(
                signet, organizationID: organizationID, autoRenew: 1, extra: ["renewal_of_order_id": first])
            // Back to the schema before renewals were tracked in columns.
            try await signet.store.write { connection in
                for statement in [
                    "DROP INDEX idx_orders_renewal_of_order_id", "DROP INDEX idx_orders_auto_renewal_due",
                    "ALTER TABLE orders DROP COLUMN renewal_of_order_id", "ALTER TABLE orders DROP COLUMN renewed_order_id",
                    "ALTER TABLE orders DROP COLUMN auto_renewal_due",
                    "DELETE FROM schema_migrations WHERE name = 'signet.TrackRenewals.v3'",
                ] {
                    try connection.execute(statement)
                }
            }
            return (first, second)
        }()
        try await signet.stop(removingData: false)

        let upgraded = try await TestSignet.start(dcv: .alwaysValid, clock: clock, directory: directory)
        do {
            let old = try await upgraded.call(.GET, "order/certificate/\(first)").json
            #expect(old["renewed_order_id"] as? Int == second)
            #expect(try await upgraded.store.read { try Self.autoRenewalDue(first, $0) } == nil)
            let renewal = try await upgraded.store.read { try $0.order(id: second) }
            let due = try await upgraded.store.read { try Self.autoRenewalDue(second, $0) }
            #expect(due == renewal.map { $0.orderValidTill.addingTimeInterval(-RenewalRules.autoRenewalLead) })
            // The unique index is back: the renewed order cannot be renewed again.
            var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: 1, dnsNames: [])
            body["renewal_of_order_id"] = first
            #expect(
                try await upgraded.call(.POST, "order/certificate/ssl_basic", json: body).text.contains("order_renewed_already"))
        } catch {
            try? await upgraded.stop()
            throw error
        }
        try await upgraded.stop()
    }

    static func autoRenewalDue(_ orderID: Int, _ connection: StoreSession<some SessionAccess>) throws -> Date? {
        try connection.row("SELECT auto_renewal_due FROM orders WHERE id = ?", [orderID])?.optionalDate("auto_renewal_due")
    }
}
