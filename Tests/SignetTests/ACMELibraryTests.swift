import Foundation
import SignetValidation
import Testing

@testable import SignetTestSupport

/// The Python `acme` library (certbot's), unchanged, through `Fixtures/acme_client.py`: what the
/// command-line clients do not exercise (key change, deactivation, nonces, problems, approvals).
@Suite("ACME library")
struct ACMELibraryTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/acme_client.py").path

    /// Runs one scenario against `server` with a state folder of its own (the account key).
    static func scenario(
        _ server: ACMEServer, _ name: String, _ arguments: [String] = [], state: String = "a"
    ) async throws
        -> [String: Any]
    {
        let folder = server.root.appendingPathComponent("acme-\(state)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try await Tools.run(
            "python3", [script, server.directory, server.keyID, server.hmacKey, folder.path, name] + arguments, timeout: 120)
        guard let line = result.output.split(separator: "\n").last,
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        else {
            Issue.record("\(name): \(result.output) \(result.error)")
            return [:]
        }
        return object
    }

    static func serve(_ eabArguments: [String] = []) async throws -> ACMEServer {
        let root = try Tools.temporaryDirectory()
        return try await ACMEServer.start(
            root, databaseURL: try await TestSignet.database(for: root.appendingPathComponent("data")),
            eabArguments: eabArguments)
    }

    @Test("An ACME order reads through CertCentral before finalize; the account's key changes; deactivation ends it")
    func accounts() async throws {
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let opened = try await Self.scenario(server, "order", ["waiting.example.com"])
        #expect(opened["status"] as? String == "pending", "\(opened)")
        let orderID = try #require((opened["order"] as? String)?.split(separator: "/").last.flatMap { Int($0) })
        let admin = LiveClient(base: server.signet.base, key: try server.signet.adminKey)
        let info = try await admin.call(.GET, "order/certificate/\(orderID)")
        #expect(info.status == .ok, "\(info.text)")
        #expect((info.json["certificate"] as? [String: Any])?["common_name"] as? String == "waiting.example.com", "\(info.text)")
        #expect(try await admin.call(.GET, "order/certificate").status == .ok)

        let databaseURL = try await TestSignet.database(for: server.root.appendingPathComponent("data"))
        let changed = try await Self.scenario(
            try await server.externalAccountKey(databaseURL: databaseURL), "keychange", state: "b")
        #expect(changed["old"] as? String == "urn:ietf:params:acme:error:accountDoesNotExist", "\(changed)")
        #expect(changed["new"] as? String == changed["account"] as? String, "\(changed)")

        let other = try await ACMEServer.start(try Tools.temporaryDirectory(), databaseURL: nil)
        defer { other.signet.stop() }
        let deactivated = try await Self.scenario(other, "deactivate", state: "c")
        #expect(deactivated["status"] as? String == "deactivated", "\(deactivated)")
        let refused = deactivated["refused"] as? [String: Any]
        #expect(refused?["type"] as? String == "urn:ietf:params:acme:error:unauthorized", "\(deactivated)")
    }

    @Test("tls-alpn-01 against a TLS server without acme-tls/1: the challenge is invalid with the tls problem, status a number")
    func tlsALPNWithoutProtocol() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["plain.\(zone). A 127.0.0.1"])
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let folder = try Tools.temporaryDirectory()
        let made = try await Tools.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem", "-out",
                "cert.pem", "-subj", "/CN=plain.\(zone)", "-days", "1",
            ], in: folder)
        #expect(made.status == 0, "\(made.error)")
        let result = try await Self.scenario(
            server, "tls-alpn-plain",
            [
                "plain.\(zone)", String(server.tlsPort), folder.appendingPathComponent("cert.pem").path,
                folder.appendingPathComponent("key.pem").path,
            ])
        #expect(result["status"] as? String == "invalid", "\(result)")
        let error = result["error"] as? [String: Any]
        #expect(error?["type"] as? String == "urn:ietf:params:acme:error:tls", "\(result)")
        #expect(error?["status"] as? Int == 400, "RFC 7807: a number, as lego reads it: \(result)")
    }

    @Test("Authorization deactivation (RFC 8555 7.5.2): the order turns invalid and is credited back; once only")
    func authorizationDeactivation() async throws {
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let admin = LiveClient(base: server.signet.base, key: try server.signet.adminKey)
        let before = try await admin.call(.GET, "finance/balance").json["balance"] as? String
        let result = try await Self.scenario(server, "deactivate-authz", ["gone.example.com"])
        #expect(result["authorization"] as? String == "deactivated", "\(result)")
        #expect(result["order"] as? String == "invalid", "\(result)")
        let error = result["error"] as? [String: Any]
        #expect((error?["detail"] as? String)?.contains("gone.example.com is deactivated") == true, "\(result)")
        #expect(
            (result["again"] as? [String: Any])?["type"] as? String == "urn:ietf:params:acme:error:malformed", "\(result)")
        let after = try await admin.call(.GET, "finance/balance").json["balance"] as? String
        #expect(before != nil && after == before, "credited back: \(before ?? "?") → \(after ?? "?")")
        let orderID = try #require((result["uri"] as? String)?.split(separator: "/").last.flatMap { Int($0) })
        let info = try await admin.call(.GET, "order/certificate/\(orderID)")
        #expect(info.json["status"] as? String == "canceled", "\(info.text)")
    }

    @Test(
        "A nonce never given is badNonce with a fresh one; refused identifiers are rejectedIdentifier; unknown profiles invalidProfile"
    )
    func problems() async throws {
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let nonce = try await Self.scenario(server, "badnonce")
        #expect(nonce["status"] as? Int == 400, "\(nonce)")
        #expect(nonce["type"] as? String == "urn:ietf:params:acme:error:badNonce", "\(nonce)")
        #expect((nonce["nonce"] as? String)?.isEmpty == false, "\(nonce)")
        let refused = try await Self.scenario(server, "problems")
        for name in ["internal", "ip"] {
            let problem = refused[name] as? [String: Any]
            #expect(problem?["type"] as? String == "urn:ietf:params:acme:error:rejectedIdentifier", "\(name): \(refused)")
        }
        let profile = refused["profile"] as? [String: Any]
        #expect(profile?["type"] as? String == "urn:ietf:params:acme:error:invalidProfile", "\(refused)")
    }

    @Test(
        "Approval-aware ACME: a finalized order stays processing until an administrator approves, then is issued once; a rejection is invalid with its reason"
    )
    func approvals() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["app.\(zone). A 127.0.0.1"])
        let server = try await Self.serve(["--require-approval"])
        defer { server.signet.stop() }
        let finalized = try await Self.scenario(server, "finalize-only", ["app.\(zone)", String(server.challengePort)])
        #expect(finalized["status"] as? String == "processing", "\(finalized)")
        let orderURL = try #require(finalized["order"] as? String)
        let orderID = try #require(orderURL.split(separator: "/").last.flatMap { Int($0) })
        let admin = LiveClient(base: server.signet.base, key: try server.signet.adminKey)
        let info = try await admin.call(.GET, "order/certificate/\(orderID)")
        let requestID = try #require((info.json["requests"] as? [[String: Any]])?.first?["id"] as? Int, "\(info.text)")
        let approved = try await admin.call(.PUT, "request/\(requestID)/status", json: ["status": "approved"])
        #expect(approved.status == .noContent, "\(approved.text)")
        let polled = try await Self.scenario(server, "poll", [orderURL])
        #expect(polled["status"] as? String == "valid", "\(polled)")
        #expect((polled["certificate"] as? String)?.contains("/acme/cert/") == true, "\(polled)")

        // A rejection ends the order: invalid, with the administrator's reason in its problem.
        let second = try await Self.scenario(server, "finalize-only", ["app.\(zone)", String(server.challengePort)])
        let secondURL = try #require(second["order"] as? String)
        let secondID = try #require(secondURL.split(separator: "/").last.flatMap { Int($0) })
        let secondInfo = try await admin.call(.GET, "order/certificate/\(secondID)")
        let secondRequest = try #require(
            (secondInfo.json["requests"] as? [[String: Any]])?.first?["id"] as? Int, "\(secondInfo.text)")
        let rejected = try await admin.call(
            .PUT, "request/\(secondRequest)/status", json: ["status": "rejected", "processor_comment": "not this quarter"])
        #expect(rejected.status == .noContent, "\(rejected.text)")
        let ended = try await Self.scenario(server, "poll", [secondURL])
        #expect(ended["status"] as? String == "invalid", "\(ended)")
        let problem = ended["error"] as? [String: Any]
        #expect(problem?["type"] as? String == "urn:ietf:params:acme:error:unauthorized", "\(ended)")
        #expect((problem?["detail"] as? String)?.contains("not this quarter") == true, "\(ended)")
    }

    @Test("Profiles: shortlived is at most 7 days without OCSP, and lints clean")
    func profiles() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["app.\(zone). A 127.0.0.1"])
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let issued = try await Self.scenario(server, "profile", ["app.\(zone)", String(server.challengePort), "shortlived"])
        #expect(issued["profile"] as? String == "shortlived", "\(issued)")
        let chain = try #require(issued["chain"] as? String, "\(issued)")
        let file = server.root.appendingPathComponent("short.pem")
        try chain.write(to: file, atomically: true, encoding: .utf8)
        let leaf = try await server.judge(chainFile: file)
        let text = try await Tools.describe(leaf)
        #expect(!text.contains("OCSP - URI") && text.contains("CRL Distribution"), "\(text)")
        #expect(text.contains("CA Issuers - URI"), "\(text)")
        let dates = try await Tools.run("openssl", ["x509", "-noout", "-startdate", "-enddate"], input: Data(leaf.utf8))
        let parsed = dates.output.split(separator: "\n").compactMap { line -> Date? in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
            return formatter.date(
                from: String(line.split(separator: "=", maxSplits: 1).last ?? "").replacingOccurrences(of: "  ", with: " "))
        }
        #expect(parsed.count == 2 && parsed[1].timeIntervalSince(parsed[0]) + 1 <= 7 * 86_400, "\(dates.output)")
    }

    @Test(
        "Product profiles (--acme-products): listed; an OV product needs the binding's organization, and then issues OV"
    )
    func productProfiles() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["ov.\(zone). A 127.0.0.1", "dv.\(zone). A 127.0.0.1"])
        let root = try Tools.temporaryDirectory()
        let databaseURL = try await TestSignet.database(for: root.appendingPathComponent("data"))
        let server = try await ACMEServer.start(
            root, databaseURL: databaseURL, extraArguments: ["--acme-products", "ssl_basic,ssl_dv_geotrust"])
        defer { server.signet.stop() }
        let directory = try await LiveClient(base: server.signet.base, key: nil).call(.GET, "/acme/directory")
        let profiles = (directory.json["meta"] as? [String: Any])?["profiles"] as? [String: String]
        #expect(
            Set(profiles?.keys.map { $0 } ?? []) == ["default", "shortlived", "ssl_basic", "ssl_dv_geotrust"], "\(directory.text)"
        )

        let refused = try await Self.scenario(server, "profile", ["ov.\(zone)", String(server.challengePort), "ssl_basic"])
        let problem = refused["error"] as? [String: Any]
        #expect(problem?["type"] as? String == "urn:ietf:params:acme:error:invalidProfile", "\(refused)")
        #expect((problem?["detail"] as? String)?.contains("--organization") == true, "\(refused)")

        let admin = LiveClient(base: server.signet.base, key: try server.signet.adminKey)
        let created = try await admin.call(.POST, "organization", json: TestData.organization(name: "Profile Test Inc"))
        let organizationID = try #require(created.json["id"] as? Int, "\(created.text)")
        let validated = try await server.signet.administer(["org", "validate", String(organizationID)], databaseURL: databaseURL)
        #expect(validated.status == 0, "\(validated.error)")
        let bound = try await server.externalAccountKey(["--organization", String(organizationID)], databaseURL: databaseURL)
        let issued = try await Self.scenario(
            bound, "profile", ["ov.\(zone)", String(server.challengePort), "ssl_basic"], state: "ov")
        #expect(issued["profile"] as? String == "ssl_basic", "\(issued)")
        let chain = try #require(issued["chain"] as? String, "\(issued)")
        let file = root.appendingPathComponent("ov.pem")
        try chain.write(to: file, atomically: true, encoding: .utf8)
        let leaf = try await server.judge(chainFile: file)
        let subject = try await Tools.run("openssl", ["x509", "-noout", "-subject"], input: Data(leaf.utf8))
        #expect(subject.output.contains("O = Profile Test Inc"), "an OV certificate names its organization: \(subject.output)")
    }

    @Test("ARI (RFC 9773): a window in the certificate's last third, at once after revocation; replaces renews once")
    func renewalInformation() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["app.\(zone). A 127.0.0.1"])
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let result = try await Self.scenario(server, "ari", ["app.\(zone)", String(server.challengePort)])
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func date(_ key: String) -> Date? {
            (result[key] as? String).flatMap { formatter.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) }
        }
        let fresh = try #require(date("fresh"), "\(result)")
        let notAfter = try #require(date("not_after"), "\(result)")
        let revoked = try #require(date("revoked"), "\(result)")
        #expect(fresh < notAfter && fresh > notAfter.addingTimeInterval(-40 * 86_400), "the last third: \(result)")
        #expect(revoked <= Date(), "a revoked certificate is due now: \(result)")
        #expect(result["replaced"] as? Int == 201, "\(result)")
        #expect(result["again"] as? Int == 409, "a certificate is replaced once: \(result)")
    }

    @Test("CAA accounturi and validationmethods (RFC 8657): another account's or method's record refuses with caa")
    func caaParameters() async throws {
        let zone = TestDNS.uniqueZone()
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let result = try await Self.scenario(
            server, "caa", [zone, String(server.challengePort), try TestDNS.shared.configPath])
        #expect(result["other"] as? String == "urn:ietf:params:acme:error:caa", "\(result)")
        #expect(result["method"] as? String == "urn:ietf:params:acme:error:caa", "\(result)")
        #expect(result["mine"] as? String == "issued", "\(result)")
    }

    @Test("dns-account-01 at the account's label; dns-persist-01 already in place makes a wildcard order ready at once")
    func draftChallenges() async throws {
        let zone = TestDNS.uniqueZone()
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let config = try TestDNS.shared.configPath
        let account = try await Self.scenario(server, "dns-account", ["acct.\(zone)", config])
        #expect(account["status"] as? String == "valid", "\(account)")
        let persist = try await Self.scenario(
            try await server.externalAccountKey(
                databaseURL: try await TestSignet.database(for: server.root.appendingPathComponent("data"))), "dns-persist",
            ["persist.\(zone)", config, "signet.test"], state: "b")
        #expect(persist["status"] as? String == "valid", "\(persist)")
        let file = server.root.appendingPathComponent("persist.pem")
        try (persist["chain"] as? String ?? "").write(to: file, atomically: true, encoding: .utf8)
        let leaf = try await server.judge(chainFile: file)
        let text = try await Tools.describe(leaf)
        #expect(text.contains("DNS:*.persist.\(zone)"), "\(text)")
        // The draft's example: https://example.com/acme/acct/ExampleAccount has the label _ujmmovf2vn55tgye.
        #expect(DomainControlChecker.accountLabel("https://example.com/acme/acct/ExampleAccount") == "_ujmmovf2vn55tgye")
    }
}
