import Foundation
import SignetCore
import Testing

@testable import SignetTestSupport

/// PostgreSQL going away under a running Signet: clients get a clear 503 in their dialect's format,
/// nothing half-done is kept, and service resumes when the database is back, with no restart.
@Suite(
    "Connection loss", .enabled(if: TestPostgres.isEnabled, "runs in the PostgreSQL pass, which has PostgreSQL's server tools"))
struct ConnectionLossTests {
    /// What the background load saw: each order's HTTP status, and the ids of the orders acknowledged.
    final class LoadLog: @unchecked Sendable {
        private let lock = NSLock()
        private var statuses: [Int] = []
        private var orders: [Int] = []
        private var others: [String] = []

        func record(_ response: TestResponse) {
            lock.withLock {
                statuses.append(Int(response.status.code))
                if response.status == .created, let id = response.json["id"] as? Int { orders.append(id) }
                if ![201, 503].contains(Int(response.status.code)) { others.append(response.text) }
            }
        }
        var snapshot: (statuses: [Int], orders: [Int], others: [String]) { lock.withLock { (statuses, orders, others) } }
    }

    @Test("PostgreSQL stops and starts under load: 503 service_unavailable while it is down, orders succeed after")
    func restartUnderLoad() async throws {
        let cluster = try await PostgresCluster.create()
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("signet-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try await cluster.createDatabase("signet").write(
            to: data.appendingPathComponent("test-database-url"), atomically: true, encoding: .utf8)

        let signet: TestSignet
        do { signet = try await TestSignet.start(dcv: .alwaysValid, directory: data) } catch {
            await cluster.remove()
            throw error
        }
        do {
            let organizationID = try await signet.prepareAccount()
            let client = try await ResellerTests.start(signet)
            let order = String(
                decoding: try JSONSerialization.data(
                    withJSONObject: TestData.secureSiteOrder(
                        csr: try TestData.csr(), organizationID: organizationID, dnsNames: [])), as: UTF8.self)
            let log = LoadLog()
            let load = Task {
                while !Task.isCancelled {
                    log.record(try await signet.call(.POST, "order/certificate/ssl_basic", rawBody: order))
                }
            }
            try await Tools.eventually(within: 15, every: 0.02) { log.snapshot.orders.count >= 5 }

            try await cluster.stop(mode: "fast")
            let list = try await signet.call(.GET, "order/certificate")
            #expect(list.status == .serviceUnavailable, "\(list.text)")
            #expect(list.errorCode == "service_unavailable")
            let refused = try await signet.call(.POST, "order/certificate/ssl_basic", rawBody: order)
            #expect(refused.status == .serviceUnavailable, "\(refused.text)")
            let reseller = try await client.call("certificate/list", method: "GET", [:])
            #expect(reseller.status == 503, "\(reseller.text)")
            #expect(reseller.json["success"] as? Bool == false)
            #expect(reseller.json["error_code"] as? String == "SERVICE_UNAVAILABLE", "\(reseller.text)")

            try await cluster.start()
            var back = try await signet.call(.GET, "order/certificate")
            try await Tools.eventually(within: 10) {
                back = try await signet.call(.GET, "order/certificate")
                return back.status == .ok
            }
            #expect(back.status == .ok, "Signet did not recover: \(back.text)")
            let ordersBefore = log.snapshot.orders.count
            try await Tools.eventually(within: 15, every: 0.02) { log.snapshot.orders.count >= ordersBefore + 5 }
            load.cancel()
            // A transaction cut off by the shutdown must fail, not wait forever on its dead connection.
            let settled = await Tools.finishes(load, within: 60)
            #expect(settled, "a request still waits on a connection PostgreSQL closed")
            guard settled else { throw TestDNSError.missing("a request hung") }

            let seen = log.snapshot
            #expect(seen.others.isEmpty, "only 201 or 503 under a restart: \(seen.others)")
            #expect(seen.orders.count >= ordersBefore + 5, "orders succeed again after the restart")
            // An order committed just before the stop may have been answered while its signature
            // could not be recorded: the background pass signs it after the signing lease.
            for id in seen.orders {
                let issued = try await Tools.eventually(within: 15) {
                    try await signet.call(.GET, "order/certificate/\(id)").json["status"] as? String == "issued"
                }
                #expect(issued, "order \(id)")
            }
            let balance = try await signet.balance()
            #expect(try await signet.store.read { try $0.ledgerSum() } == balance)
            let stored = try await signet.orderCount()
            #expect(balance == "101000.00" - CrashTests.price(stored))
        } catch {
            try? await signet.stop()
            await cluster.remove()
            throw error
        }
        try await signet.stop()
        await cluster.remove()
    }
}
