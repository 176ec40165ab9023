import Foundation
import SignetCore
import Testing

@testable import SignetStore
@testable import SignetTestSupport

/// Two `signet serve` processes on one PostgreSQL and one data folder, as a user who outgrew one
/// machine runs them: started at the same moment, then sent concurrent work of every kind.
@Suite("Several instances on one PostgreSQL", .enabled(if: TestPostgres.isEnabled, "needs SIGNET_TEST_DATABASE_URL"))
struct MultiInstanceTests {
    @Test("Concurrent orders, idempotent retries, approvals, revocations, callbacks and renewals across two instances")
    func twoInstances() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("signet-data")
        let databaseURL = try await TestSignet.database(for: data)

        // Both start on an empty folder and an empty database: one creates the schema and the CA, the other waits.
        let arguments = [
            "--dcv", "always-valid", "--allow-private-callbacks", "--callback-retry-base", "0.3", "--recheck-interval", "0.3",
        ]
        let instances = [
            try SignetProcess(data: data, arguments: arguments, databaseURL: databaseURL),
            try SignetProcess(data: data, arguments: arguments, databaseURL: databaseURL),
        ]
        defer { instances.forEach { $0.stop() } }
        for instance in instances { try await instance.waitUntilServing() }
        let key = try instances[0].adminKey
        let clients = instances.map { LiveClient(base: $0.base, key: key) }

        await #expect(
            try CommandLineTests.signet(["balance", "add", "1000000", "--data", data.path], databaseURL: databaseURL).status == 0)
        let created = try await CommandLineTests.signet(
            ["reseller-key", "create", "--name", "shop", "--data", data.path], databaseURL: databaseURL)
        let lines = Dictionary(
            uniqueKeysWithValues: created.output.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            })
        let accessKey = try #require(lines["accessKeyId"], "\(created.output) \(created.error)")
        let secret = try #require(lines["accessKeySecret"])
        let organization = try await clients[1].call(.POST, "organization", json: TestData.organization())
        let organizationID = try #require(organization.json["id"] as? Int, "\(organization.text)")
        let csr = try TestData.csr()
        func order(_ skipApproval: Bool, key: String? = nil) -> [String: Any] {
            var body = TestData.secureSiteOrder(
                csr: csr, organizationID: organizationID, dnsNames: [], skipApproval: skipApproval)
            if let key { body["alternative_order_id"] = key }
            return body
        }
        let receiver = try await CallbackReceiver(secret: secret, failFirst: 2)
        defer { receiver.stop() }
        let resellers = instances.map { ResellerClient(base: $0.base, accessKey: accessKey, secret: secret) }

        // Round one, all at once: plain orders, idempotent retries (each key four times, to both),
        // orders that wait for approval, and reseller orders with a notify_url.
        let results = try await withThrowingTaskGroup(of: (String, TestResponse).self) { group in
            for index in 0..<30 {
                group.addTask {
                    ("plain", try await clients[index % 2].call(.POST, "order/certificate/ssl_basic", json: order(true)))
                }
            }
            for index in 0..<40 {
                let key = "retry-\(index / 4)"
                group.addTask {
                    (key, try await clients[index % 2].call(.POST, "order/certificate/ssl_basic", json: order(true, key: key)))
                }
            }
            for index in 0..<10 {
                group.addTask {
                    ("approval", try await clients[index % 2].call(.POST, "order/certificate/ssl_basic", json: order(false)))
                }
            }
            return try await group.reduce(into: [(String, TestResponse)]()) { $0.append($1) }
        }
        var resellerOrders: [String] = []
        for index in 0..<6 {
            var body = ResellerTests.createBody(
                zone: "shop\(index).example.com", csr: try TestData.csr(), uniqueID: "shop-\(index)")
            body["notify_url"] = receiver.url
            let answer = try await resellers[index % 2].call("certificate/create", body)
            #expect(answer.data["status"] as? String == "issued", "\(answer.text)")
            resellerOrders += [answer.data["service_id"] as? String].compactMap { $0 }
        }
        for (label, response) in results { #expect(response.status == .created, "\(label): \(response.text)") }
        for index in 0..<10 {
            let ids = Set(results.filter { $0.0 == "retry-\(index)" }.compactMap { $0.1.json["id"] as? Int })
            #expect(ids.count == 1, "retry-\(index) made orders \(ids)")
        }

        // Round two: every pending request approved by both instances at once; exactly one wins.
        let requestIDs = results.filter { $0.0 == "approval" }
            .compactMap { (($0.1.json["requests"] as? [[String: Any]])?.first?["id"] as? Int) }
        #expect(requestIDs.count == 10)
        let decisions = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for id in requestIDs {
                for client in clients {
                    group.addTask {
                        (id, Int(try await client.call(.PUT, "request/\(id)/status", json: ["status": "approved"]).status.code))
                    }
                }
            }
            return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
        }
        for id in requestIDs {
            #expect(
                decisions.filter { $0.0 == id }.map(\.1).sorted() == [204, 400],
                "request \(id): \(decisions.filter { $0.0 == id })")
        }

        // Round three: revocations through both; both then serve the same CRL listing all of them,
        // and an OCSP answer cached by one instance does not outlive a revocation made on the other.
        let plain = results.filter { $0.0 == "plain" }.map(\.1)
        let issued = plain.compactMap { $0.json["certificate_id"] as? Int }.prefix(4)
        let chainFolder = root.appendingPathComponent("chain")
        try FileManager.default.createDirectory(at: chainFolder, withIntermediateDirectories: true)
        for (name, pem) in await zip(
            ["leaf.pem", "ica.pem", "root.pem"], try OrderFlowTests.verifyChain(try #require(plain.first)))
        {
            try pem.write(to: chainFolder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let good = try await RevocationTests.ocsp(instances[1].base, in: chainFolder, extra: ["-no_nonce"])
        #expect(good.contains("leaf.pem: good"), "\(good)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in issued.enumerated() {
                group.addTask {
                    let revoked = try await clients[index % 2].call(
                        .PUT, "certificate/\(id)/revoke", json: ["skip_approval": true])
                    #expect(revoked.status == .noContent, "\(revoked.text)")
                }
            }
            try await group.waitForAll()
        }
        let revoked = try await RevocationTests.ocsp(instances[1].base, in: chainFolder, extra: ["-no_nonce"])
        #expect(revoked.contains("leaf.pem: revoked"), "\(revoked)")
        let crlPath = try await Self.crlPath(clients[0], certificateID: try #require(issued.first))
        let crls = try await clients.asyncMap { try await $0.call(.GET, crlPath) }
        #expect(crls.allSatisfy { $0.status == .ok })
        #expect(crls[0].body == crls[1].body, "both instances serve one CRL")
        let crlText = try await Tools.run("openssl", ["crl", "-inform", "DER", "-noout", "-text"], input: crls[0].body).output
        #expect(crlText.components(separatedBy: "Serial Number:").count - 1 == issued.count, "\(crlText)")

        // Callbacks: each event delivered exactly once, whichever instance leased it; the two refused calls were retried.
        try await Tools.eventually(within: 15) {
            receiver.calls.filter({ $0["accepted"] as? Bool == true }).count >= resellerOrders.count
        }
        try await Task.sleep(nanoseconds: 1_500_000_000)  // room for a duplicate to show up, if there were one
        let accepted = receiver.calls.filter { $0["accepted"] as? Bool == true }
        #expect(accepted.compactMap { $0["service_id"] as? String }.sorted() == resellerOrders.sorted(), "\(receiver.calls)")
        #expect(receiver.calls.count == resellerOrders.count + 2, "\(receiver.calls)")

        // Renewals: the plain orders come due at once (as 30 days before their end); both instances
        // run the renewal pass, and each order is renewed exactly once, except the four whose
        // certificate was revoked, which are left for their owner and tried again a day later.
        let plainIDs = plain.compactMap { $0.json["id"] as? Int }
        let psqlURL = try #require(databaseURL)
        func psql(_ statement: String) async throws -> [String] {
            let result = try await Tools.run("psql", [psqlURL, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", statement])
            #expect(result.status == 0, "\(statement): \(result.error)")
            return result.output.split(separator: "\n").map(String.init)
        }
        let plainList = plainIDs.map(String.init).joined(separator: ",")
        await #expect(
            try psql("UPDATE orders SET auto_renewal_due = now() - interval '1 second' WHERE id IN (\(plainList)) RETURNING id")
                .count == 30)
        let renewable = plainIDs.count - issued.count
        try await Tools.eventually(within: 15) {
            try await psql("SELECT count(*) FROM orders WHERE renewal_of_order_id IS NOT NULL") == ["\(renewable)"]
        }
        try await Task.sleep(nanoseconds: 1_500_000_000)  // room for a second renewal to show up, if there were one
        await #expect(try psql("SELECT count(*) FROM orders WHERE renewal_of_order_id IS NOT NULL") == ["\(renewable)"])
        await #expect(
            try psql("SELECT count(*) FROM orders WHERE renewal_of_order_id IS NOT NULL AND status <> 'issued'") == ["0"])
        await #expect(
            try psql(
                "SELECT count(*) FROM orders WHERE id IN (\(plainList)) AND renewed_order_id IS NULL AND auto_renewal_due > now() + interval '23 hours'"
            ) == ["\(issued.count)"])

        for instance in instances { await instance.stopAndWait() }
        let audit = try await TestSignet.start(dcv: .alwaysValid, directory: data)
        do {
            let orders = try await audit.orderCount()
            #expect(orders == 30 + 10 + 10 + resellerOrders.count + renewable)
            #expect(try await audit.store.read { try $0.repeatedSerialCount() } == 0)
            #expect(try await audit.store.read { try $0.issuedCertificateCount() } == orders)
            let balance = try await audit.balance()
            #expect(try await audit.store.read { try $0.ledgerSum() } == balance)
            #expect(
                balance == "1000000.00" - CrashTests.price(50 + renewable) - Money(cents: 11_800 * Int64(resellerOrders.count)))
        } catch {
            try? await audit.stop()
            throw error
        }
        try await audit.stop()
    }

    /// The CRL path a certificate names in its distribution point.
    static func crlPath(_ client: LiveClient, certificateID: Int) async throws -> String {
        let pem = try await client.call(.GET, "certificate/\(certificateID)/download/format/pem_all").text
        let text = try await Tools.describe(Tools.pemBlocks(pem).first ?? "")
        let uri = try #require(text.split(separator: "\n").first { $0.contains("URI:") && $0.contains(".crl") })
        return "/crl/" + (uri.components(separatedBy: "/crl/").last ?? "").trimmingCharacters(in: .whitespaces)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
