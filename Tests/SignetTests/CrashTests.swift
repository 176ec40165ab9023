import Foundation
import SignetCore
import Testing

@testable import SignetStore
@testable import SignetTestSupport

/// A `signet serve` process killed with SIGKILL in the middle of a burst of orders loses nothing
/// it acknowledged, on whichever backend the suite runs (SQLite, or PostgreSQL in CI's second pass).
@Suite("Crash safety")
struct CrashTests {
    /// What the clients saw: the order ids acknowledged with 201, by idempotency key.
    final class Acknowledgements: @unchecked Sendable {
        private let lock = NSLock()
        private var orders: [String: Int] = [:]

        func record(_ key: String, _ orderID: Int) { lock.withLock { orders[key] = orderID } }
        var count: Int { lock.withLock { orders.count } }
        var all: [String: Int] { lock.withLock { orders } }
    }

    /// What `count` of the burst's orders cost: ssl_basic for two years.
    static func price(_ count: Int) -> Money { Money(cents: 21_800 * 2 * Int64(count)) }

    @Test("SIGKILL mid-burst: every acknowledged order is stored with its certificate, no serial repeats, the money adds up")
    func killMidBurst() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("signet-data")
        let databaseURL = try await TestSignet.database(for: data)
        let server = try SignetProcess(data: data, arguments: ["--dcv", "always-valid"], databaseURL: databaseURL)
        defer { server.crash() }
        try await server.waitUntilServing()
        let funds = try await CommandLineTests.signet(
            ["balance", "add", "1000000", "--data", data.path], databaseURL: databaseURL)
        #expect(funds.status == 0, "\(funds.error)")
        let start: Money = "1000000.00"
        // A short deadline: once the server is gone, the HTTP client would otherwise retry connecting until it.
        let client = LiveClient(base: server.base, key: try server.adminKey, timeout: 15)
        let organization = try await client.call(.POST, "organization", json: TestData.organization())
        let organizationID = try #require(organization.json["id"] as? Int, "\(organization.text)")

        // 1,000 orders, each with its own idempotency key, 8 at a time (the HTTP client's limit per host):
        // enough that the kill lands mid-burst even when the server answers a thousand a second and
        // the test's own tasks, on a busy machine, see the answers late.
        let csr = try TestData.csr()
        let keys = (0..<1000).map { "crash-\($0)" }
        func body(_ key: String) -> [String: Any] {
            TestData.secureSiteOrder(csr: csr, organizationID: organizationID, dnsNames: [])
                .merging(["alternative_order_id": key]) { $1 }
        }
        let acknowledged = Acknowledgements()
        let burst = Task {
            await withTaskGroup(of: Void.self) { group in
                for key in keys {
                    group.addTask {
                        guard let response = try? await client.call(.POST, "order/certificate/ssl_basic", json: body(key)),
                            response.status == .created, let id = response.json["id"] as? Int
                        else { return }
                        acknowledged.record(key, id)
                        // The kill lands as the 30th acknowledgement arrives, whatever the machine's speed.
                        if acknowledged.count >= 30 { server.crash() }
                    }
                }
            }
        }
        try await Tools.eventually(within: 15, every: 0.005) { acknowledged.count >= 30 }
        server.crash()
        await server.process.waitForExit(within: 10)
        burst.cancel()  // what was still queued in the client would only wait for its deadline
        await burst.value
        let acked = acknowledged.all
        #expect(acked.count >= 30 && acked.count < keys.count, "the kill should land mid-burst (\(acked.count) acknowledged)")

        // Restart on the same data folder and database.
        let restarted = try await TestSignet.start(dcv: .alwaysValid, directory: data)
        do {
            for (key, id) in acked {
                let order = try await restarted.call(.GET, "order/certificate/\(id)")
                #expect(order.json["status"] as? String == "issued", "order \(id) (\(key)): \(order.text)")
                let certificate = order.json["certificate"] as? [String: Any]
                #expect(certificate?["serial_number"] is String, "order \(id) has no certificate")
                let stored = try await restarted.store.read { try $0.order(alternativeOrderID: key, containerID: 1) }
                #expect(stored?.order.id == id)
            }
            let storedOrders = try await restarted.orderCount()
            #expect(storedOrders >= acked.count && storedOrders <= keys.count)
            #expect(try await restarted.store.read { try $0.repeatedSerialCount() } == 0)
            // An order committed with its serial reserved but killed before its certificate was
            // recorded is signed again, under a new serial, once the reservation's lease ends.
            let allIssued = try await Tools.eventually(within: 30) {
                try await restarted.store.read { try $0.issuedCertificateCount() } == storedOrders
            }
            let issuedCount = try await restarted.store.read { try $0.issuedCertificateCount() }
            #expect(allIssued, "\(issuedCount) of \(storedOrders) issued")
            // Orders committed just before the kill but never answered are charged too: what the
            // acknowledged orders cost is taken, plus exactly what the unanswered-but-stored ones cost.
            let balance = try await restarted.balance()
            #expect(balance == start - Self.price(storedOrders))
            #expect(try await restarted.store.read { try $0.ledgerSum() } == balance)

            // The clients retry what got no answer, with the same keys: each key ends as one order.
            for key in keys where acked[key] == nil {
                let retried = try await restarted.call(.POST, "order/certificate/ssl_basic", json: body(key))
                #expect(retried.status == .created, "\(retried.text)")
            }
            #expect(try await restarted.orderCount() == keys.count)
            #expect(try await restarted.balance() == start - Self.price(keys.count))
            #expect(try await restarted.store.read { try $0.ledgerSum() } == start - Self.price(keys.count))
            #expect(try await restarted.store.read { try $0.repeatedSerialCount() } == 0)
        } catch {
            try? await restarted.stop()
            throw error
        }
        try await restarted.stop()
    }

    @Test(
        "SQLite keeps its journal in WAL mode and syncs every commit (synchronous=FULL) on each connection",
        .enabled(if: !TestPostgres.isEnabled, "SQLite settings"))
    func sqliteDurability() async throws {
        try await withSignet { signet in
            // The writer, which commits, and several pooled readers: each must have the setting.
            let writer = try await signet.store.write { try $0.sqliteDurabilitySettings() }
            #expect(writer.journalMode == "wal")
            #expect(writer.synchronous == 2, "the writer commits with synchronous=FULL (2)")
            for _ in 0..<6 {
                let settings = try await signet.store.read { try $0.sqliteDurabilitySettings() }
                #expect(settings.journalMode == "wal")
                #expect(settings.synchronous == 2, "2 is FULL")
            }
        }
    }
}

extension StoreSession {
    /// Certificates that carry a serial number, i.e. were issued.
    func issuedCertificateCount() throws -> Int {
        try count("SELECT COUNT(*) AS issued FROM certificates WHERE serial_number IS NOT NULL")
    }

    /// SQLite's journal mode and synchronous level as the connection sees them.
    func sqliteDurabilitySettings() throws -> (journalMode: String, synchronous: Int) {
        (try row("PRAGMA journal_mode")?.string("journal_mode") ?? "", try row("PRAGMA synchronous")?.int("synchronous") ?? -1)
    }
}
