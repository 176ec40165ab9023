import Foundation
import Testing

@testable import SignetTestSupport

/// The README's quick start, with the real `signet` binary, curl and openssl.
@Suite("Command line", .serialized)
struct CommandLineTests {
    static func signet(_ arguments: [String], databaseURL: String? = nil) async throws -> Tools.Result {
        try await Tools.run(
            "signet", arguments, executable: SignetProcess.binary, environment: databaseURL.map { ["DATABASE_URL": $0] },
            timeout: 120)
    }

    static func curl(_ method: String, _ url: String, key: String, json: Any? = nil) async throws -> (Int, [String: Any]) {
        var arguments = [
            "-s", "-X", method, url, "-H", "X-DC-DEVKEY: \(key)", "-H", "Content-Type: application/json",
            "-w", "\n%{http_code}",
        ]
        if let json {
            arguments += ["--data-binary", String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)]
        }
        let result = try await Tools.run("curl", arguments)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let body = lines.dropLast().joined(separator: "\n")
        return (status, (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:])
    }

    @Test("serve on a fresh folder, administer with the CLI, order with curl, verify with openssl, restart")
    func quickStart() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("signet-data")
        let database = try await TestPostgres.createDatabase()
        defer { database.map(TestPostgres.dropDatabase) }
        var server = try SignetProcess(data: data, databaseURL: database)
        defer { server.stop() }
        try await server.waitUntilServing()

        let keyFile = data.appendingPathComponent("admin-api-key")
        let adminKey = try String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for file in [
            keyFile, data.appendingPathComponent("ca/root.key"), data.appendingPathComponent("ca/tls.key"),
            data.appendingPathComponent("ca/smime.key"),
        ] {
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file.lastPathComponent) has mode \(String(mode ?? 0, radix: 8))")
        }
        #expect(server.output.contains(keyFile.path))
        #expect(!server.output.contains(adminKey), "the administrator key must not be logged")

        let created = try await Self.signet(
            ["apikey", "create", "--role", "user", "--name", "ci", "--data", data.path], databaseURL: database)
        #expect(created.status == 0, "\(created.error)")
        let userKey = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(userKey.count == 52)
        await #expect(
            try Self.signet(["balance", "add", "5000", "--data", data.path], databaseURL: database).output.contains("5000.00"))
        await #expect(
            try Self.signet(["domain", "validate", "example.com", "--data", data.path], databaseURL: database).status == 0)
        await #expect(try Self.signet(["balance", "add", "-5", "--data", data.path], databaseURL: database).status != 0)

        let (status, organization) = try await Self.curl(
            "POST", "\(server.base)/services/v2/organization", key: adminKey, json: TestData.organization())
        #expect(status == 201)
        let organizationID = try #require(organization["id"] as? Int)
        await #expect(
            try Self.signet(["org", "validate", String(organizationID), "--data", data.path], databaseURL: database).status == 0)

        // A user's key may skip approval only where the account allows it (off, as CertCentral ships).
        let orderBody = TestData.secureSiteOrder(csr: try TestData.csr(.rsa2048), organizationID: organizationID)
        let (refusedStatus, refused) = try await Self.curl(
            "POST", "\(server.base)/services/v2/order/certificate/ssl_securesite_pro", key: userKey, json: orderBody)
        #expect(refusedStatus == 403, "\(refused)")
        let shown = try await Self.signet(["account", "show", "--data", data.path], databaseURL: database).output
        #expect(
            shown.contains("users-may-skip-approval: off") && shown.contains("approval-step: one-step")
                && shown.contains("auto-approve-approvers: off"), "\(shown)")
        let allowed = try await Self.signet(
            ["account", "set", "--users-may-skip-approval", "on", "--approval-step", "skip", "--data", data.path],
            databaseURL: database)
        #expect(allowed.status == 0, "\(allowed.error)")
        #expect(allowed.output.contains("approval-step: skip"), "\(allowed.output)")
        let nothing = try await Self.signet(["account", "set", "--data", data.path], databaseURL: database)
        #expect(nothing.status != 0 && nothing.error.contains("name a setting"), "\(nothing.error)")
        // The server keeps a verified key's settings for up to 5 s; a refused order stores nothing, so retrying is safe.
        var (orderStatus, order) = (0, [String: Any]())
        try await Tools.eventually(within: 15, every: 0.5) {
            (orderStatus, order) = try await Self.curl(
                "POST", "\(server.base)/services/v2/order/certificate/ssl_securesite_pro", key: userKey, json: orderBody)
            return orderStatus != 403
        }
        #expect(orderStatus == 201, "\(order)")
        let orderID = try #require(order["id"] as? Int)
        let pems = try #require(order["certificate_chain"] as? [[String: Any]]).compactMap { $0["pem"] as? String }
        let verdict = try await Tools.verify(leaf: pems[0], intermediate: pems[1], root: pems[2])
        #expect(verdict.status == 0, "\(verdict.output) \(verdict.error)")
        let (emailStatus, emailOrder) = try await Self.curl(
            "POST", "\(server.base)/services/v2/order/certificate/ssl_basic", key: userKey,
            json: TestData.secureSiteOrder(
                csr: try TestData.csr(), organizationID: organizationID, commonName: "shop.unvalidated.org", dnsNames: []))
        #expect(emailStatus == 201, "\(emailOrder)")
        let outbox = try await Self.signet(["outbox", "--data", data.path], databaseURL: database)
        #expect(outbox.output.contains("To: admin@unvalidated.org"), "\(outbox.output) \(outbox.error)")
        #expect(outbox.output.contains("/dcv/email/"))
        let (_, me) = try await Self.curl("GET", "\(server.base)/services/v2/user/me", key: userKey)
        #expect(((me["access_roles"] as? [[String: Any]])?.first?["name"]) as? String == "Standard User")

        await server.stopAndWait()
        server = try SignetProcess(data: data, arguments: ["--dcv", "always-valid"], databaseURL: database)
        try await server.waitUntilServing()
        #expect(server.output.contains("always-valid"), "always-valid must warn at start")
        let (infoStatus, info) = try await Self.curl(
            "GET", "\(server.base)/services/v2/order/certificate/\(orderID)", key: userKey)
        #expect(infoStatus == 200)
        #expect(info["status"] as? String == "issued")
        let (_, unvalidated) = try await Self.curl(
            "POST", "\(server.base)/services/v2/order/certificate/ssl_basic", key: userKey,
            json: TestData.secureSiteOrder(
                csr: try TestData.csr(), organizationID: organizationID, commonName: "never-validated.org", dnsNames: []))
        #expect((unvalidated["certificate_chain"] as? [Any])?.count == 3, "\(unvalidated)")
    }
}
