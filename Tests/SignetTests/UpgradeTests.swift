import Foundation
import SignetCore
import SignetStore
import Testing

@testable import SignetServer
@testable import SignetTestSupport

/// An installation written by an earlier Signet (commit 6ef43b3, the last on Fluent; made by
/// `Fixtures/make-upgrade-fixture.py`) opens in this one with everything it held: orders in every
/// state, balance and ledger, keys, the reseller's sealed secret and its order, revocations.
@Suite("Upgrade from an earlier version")
struct UpgradeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/upgrade")

    struct Manifest: Decodable {
        struct Reseller: Decodable {
            let access_key_id: String
            let secret: String
            let service_id: String
        }
        let admin_api_key: String
        let balance: String
        let orders: [String: Int]
        let reseller: Reseller
    }

    /// A data folder holding the fixture of the backend under test, its database restored from SQL text.
    static func restore() async throws -> (directory: URL, manifest: Manifest) {
        let backend = TestPostgres.isEnabled ? "postgresql" : "sqlite"
        let source = fixtures.appendingPathComponent(backend)
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: source.appendingPathComponent("manifest.json")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("signet-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["ca", "admin-api-key", "reseller-secrets.key"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        if TestPostgres.isEnabled {
            let url = try #require(try await TestSignet.database(for: directory))
            // pg_dump 15.14 and later writes `\restrict` lines, which older psql does not know.
            let dump = try String(contentsOf: source.appendingPathComponent("postgresql.sql"), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
                .joined(separator: "\n")
            let loaded = try await Tools.run("psql", [url, "-q", "-v", "ON_ERROR_STOP=1"], input: Data(dump.utf8))
            #expect(loaded.status == 0, "\(loaded.error)")
        } else {
            let dump = try Data(contentsOf: source.appendingPathComponent("sqlite.sql"))
            let loaded = try await Tools.run("sqlite3", ["signet.sqlite"], input: dump, in: directory)
            #expect(loaded.status == 0, "\(loaded.error)")
        }
        return (directory, manifest)
    }

    @Test("Orders, balance, keys, the reseller's order and revocations survive; new orders are placed")
    func upgradeKeepsEverything() async throws {
        let (directory, manifest) = try await Self.restore()
        let signet = try await TestSignet.start(directory: directory)
        do {
            #expect(signet.adminKey == manifest.admin_api_key)
            let balance = try await signet.call(.GET, "finance/balance")
            #expect(balance.json["balance"] as? String == manifest.balance, "\(balance.text)")

            let expected = [
                "issued": "issued", "awaits_dcv": "pending", "awaits_approval": "needs_approval", "revoked": "revoked",
                "reissued": "issued",
            ]
            for (name, status) in expected {
                let id = try #require(manifest.orders[name])
                let order = try await signet.call(.GET, "order/certificate/\(id)")
                #expect(order.status == .ok, "\(name): \(order.text)")
                #expect(order.json["status"] as? String == status, "\(name): \(order.text)")
            }
            // The order waiting for DCV keeps its random value and per-name state (a JSON column
            // before version 9, rows of `authorizations` since).
            let waitingID = try #require(manifest.orders["awaits_dcv"])
            let waiting = try await signet.call(.GET, "order/certificate/\(waitingID)")
            let backend = TestPostgres.isEnabled ? "postgresql/postgresql.sql" : "sqlite/sqlite.sql"
            let dump = try String(contentsOf: Self.fixtures.appendingPathComponent(backend), encoding: .utf8)
            let stored = try #require(dump.firstMatch(of: /pending\.example\.org[^\n]*"randomValue":"([a-z0-9]+)"/)?.output.1)
            #expect(waiting.json["dcv_random_value"] as? String == String(stored), "\(waiting.text)")
            let dcv = try await signet.store.read { try $0.order(id: waitingID)?.dcv }
            let name = try #require(dcv?.names["pending.example.org"], "\(String(describing: dcv))")
            #expect(dcv?.names.count == 1 && name.method == "dns-txt-token" && name.status == "pending")

            let issued = try await signet.call(.GET, "order/certificate/\(try #require(manifest.orders["issued"]))")
            #expect(issued.json["alternative_order_id"] as? String == "upgrade-1")

            // The revoked certificate is on its issuer's CRL.
            let revokedOrder = try await signet.call(.GET, "order/certificate/\(try #require(manifest.orders["revoked"]))")
            let serial = try #require((revokedOrder.json["certificate"] as? [String: Any])?["serial_number"] as? String)
            let work = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: work) }
            try await RevocationTests.fetchCRL(signet, into: work)
            let listed = try await Tools.run("openssl", ["crl", "-in", "crl.pem", "-noout", "-text"], in: work)
            #expect(listed.output.uppercased().contains(serial.uppercased()), "\(serial) not in \(listed.output)")

            // The reseller's sealed secret still opens, and its order reads back.
            let base = try await signet.listen()
            let client = ResellerClient(base: base, accessKey: manifest.reseller.access_key_id, secret: manifest.reseller.secret)
            let detail = try await client.call("certificate/detail", method: "GET", ["service_id": manifest.reseller.service_id])
            #expect(detail.success, "\(detail.text)")

            // Work goes on: a new order on the old organization issues from the old CA.
            let organizationID = try #require((issued.json["organization"] as? [String: Any])?["id"] as? Int)
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            #expect(placed.status == .created, "\(placed.text)")
            let chain = try await OrderFlowTests.verifyChain(placed)
            let rootPEM = try String(contentsOf: directory.appendingPathComponent("ca/root.crt"), encoding: .utf8)
            #expect(
                chain.last == rootPEM
                    || chain.last?.trimmingCharacters(in: .whitespacesAndNewlines)
                        == rootPEM.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        } catch {
            try? await signet.stop()
            throw error
        }
        try await signet.stop()
    }
}
