import Foundation
import Testing

@testable import SignetTestSupport

/// Real ACME clients, unchanged, against the built binary: certbot (PyPI) and lego (Debian), with
/// their own challenge servers on loopback and unbound for DNS. Every certificate is judged by
/// `openssl verify` and pkilint.
@Suite("ACME clients")
struct ACMEClientTests {
    static func serve(_ eabArguments: [String] = []) async throws -> ACMEServer {
        let root = try Tools.temporaryDirectory()
        return try await ACMEServer.start(
            root, databaseURL: try await TestSignet.database(for: root.appendingPathComponent("data")),
            eabArguments: eabArguments)
    }

    @Test(
        "certbot: EAB registration, certonly --standalone (http-01), renew, revoke; the order is in CertCentral's list; --preferred-profile"
    )
    func certbot() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["app.\(zone). A 127.0.0.1"])
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let obtained = try await server.certbot([
            "certonly", "--standalone", "--http-01-port", String(server.challengePort), "--http-01-address", "127.0.0.1",
            "-d", "app.\(zone)", "--agree-tos", "-m", "ops@\(zone)", "--eab-kid=\(server.keyID)",
            "--eab-hmac-key=\(server.hmacKey)",
        ])
        #expect(obtained.status == 0, "\(obtained.output) \(obtained.error)")
        let live = server.root.appendingPathComponent("certbot/config/live/app.\(zone)")
        let leaf = try await server.judge(chainFile: live.appendingPathComponent("fullchain.pem"))
        let text = try await Tools.describe(leaf)
        #expect(text.contains("DNS:app.\(zone)"), "\(text)")

        let renewed = try await server.certbot([
            "renew", "--force-renewal", "--no-random-sleep-on-renew", "--standalone", "--http-01-port",
            String(server.challengePort), "--http-01-address",
            "127.0.0.1",
        ])
        #expect(renewed.status == 0, "\(renewed.output) \(renewed.error)")
        let second = try await server.judge(chainFile: live.appendingPathComponent("fullchain.pem"))
        #expect(second != leaf, "renew wrote a new certificate")

        let revoked = try await server.certbot([
            "revoke", "--cert-path", live.appendingPathComponent("cert.pem").path, "--reason", "keycompromise",
            "--no-delete-after-revoke",
        ])
        #expect(revoked.status == 0, "\(revoked.output) \(revoked.error)")

        let admin = LiveClient(base: server.signet.base, key: try server.signet.adminKey)
        let list = try await admin.call(.GET, "order/certificate")
        let orders = try #require(list.json["orders"] as? [[String: Any]], "\(list.text)")
        #expect(orders.count == 2, "two orders, charged like any: \(list.text)")
        let statuses = orders.compactMap { ($0["certificate"] as? [String: Any])?["status"] as? String }.sorted()
        #expect(statuses == ["issued", "revoked"], "\(statuses)")

        // draft-ietf-acme-profiles: certbot asks for the short-lived profile by name.
        try await TestDNS.shared.add(["short.\(zone). A 127.0.0.1"])
        let short = try await server.certbot([
            "certonly", "--standalone", "--http-01-port", String(server.challengePort), "--http-01-address", "127.0.0.1",
            "-d", "short.\(zone)", "--preferred-profile", "shortlived",
        ])
        #expect(short.status == 0, "\(short.output) \(short.error)")
        let shortLeaf = try await server.judge(
            chainFile: server.root.appendingPathComponent("certbot/config/live/short.\(zone)/fullchain.pem"))
        let withinWeek = try await Tools.run("openssl", ["x509", "-noout", "-checkend", "604800"], input: Data(shortLeaf.utf8))
        let beyondFiveDays = try await Tools.run(
            "openssl", ["x509", "-noout", "-checkend", "432000"], input: Data(shortLeaf.utf8))
        #expect(withinWeek.status == 1 && beyondFiveDays.status == 0, "six days: \(withinWeek.output) \(beyondFiveDays.output)")
    }

    @Test("certbot with a manual hook: dns-01 for a wildcard and its base, through the operator's DNS")
    func certbotDNS() async throws {
        let zone = TestDNS.uniqueZone()
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let hook = server.root.appendingPathComponent("dns-hook.sh")
        try """
        #!/bin/sh
        unbound-control -c "\(TestDNS.shared.configPath)" local_data "_acme-challenge.$CERTBOT_DOMAIN. 60 TXT $CERTBOT_VALIDATION" >/dev/null
        """.write(to: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: hook.path)
        let obtained = try await server.certbot([
            "certonly", "--manual", "--preferred-challenges", "dns", "--manual-auth-hook", hook.path, "-d", "*.\(zone)", "-d",
            zone, "--agree-tos", "-m", "ops@\(zone)", "--eab-kid=\(server.keyID)",
            "--eab-hmac-key=\(server.hmacKey)",
        ])
        #expect(obtained.status == 0, "\(obtained.output) \(obtained.error)")
        let leaf = try await server.judge(
            chainFile: server.root.appendingPathComponent("certbot/config/live/\(zone)/fullchain.pem"))
        let text = try await Tools.describe(leaf)
        #expect(text.contains("DNS:*.\(zone)") && text.contains("DNS:\(zone)"), "\(text)")
    }

    @Test("lego: --eab, http-01, tls-alpn-01, dns-01 through its exec provider, renew, revoke")
    func lego() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["www.\(zone). A 127.0.0.1", "tls.\(zone). A 127.0.0.1"])
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let http = ["--domains", "www.\(zone)", "--http", "--http.port", "127.0.0.1:\(server.challengePort)"]
        let run = try await server.lego(http, command: ["run"])
        #expect(run.status == 0, "\(run.output) \(run.error)")
        let certificates = server.root.appendingPathComponent("lego/certificates")
        let first = try await server.judge(chainFile: certificates.appendingPathComponent("www.\(zone).crt"))

        let renewed = try await server.lego(http, command: ["renew", "--days", "365", "--no-random-sleep"])
        #expect(renewed.status == 0, "\(renewed.output) \(renewed.error)")
        let second = try await server.judge(chainFile: certificates.appendingPathComponent("www.\(zone).crt"))
        #expect(first != second)

        // tls-alpn-01 (RFC 8737): lego answers the handshake with its challenge certificate.
        let tls = try await server.lego(
            ["--domains", "tls.\(zone)", "--tls", "--tls.port", "127.0.0.1:\(server.tlsPort)"], command: ["run"])
        #expect(tls.status == 0, "\(tls.output) \(tls.error)")
        _ = try await server.judge(chainFile: certificates.appendingPathComponent("tls.\(zone).crt"))

        // dns-01: lego calls the script with "present <fqdn> <value>" (and "cleanup" after).
        let script = server.root.appendingPathComponent("lego-dns.sh")
        try """
        #!/bin/sh
        [ "$1" = "present" ] || exit 0
        unbound-control -c "\(TestDNS.shared.configPath)" local_data "$2 60 TXT $3" >/dev/null
        """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script.path)
        let dns = try await server.lego(
            [
                "--domains", "api.\(zone)", "--dns", "exec", "--dns.disable-cp", "--dns.resolvers",
                TestDNS.shared.server.description,
            ],
            command: ["run"],
            environment: ["EXEC_PATH": script.path, "EXEC_PROPAGATION_TIMEOUT": "10", "EXEC_POLLING_INTERVAL": "1"])
        #expect(dns.status == 0, "\(dns.output) \(dns.error)")
        _ = try await server.judge(chainFile: certificates.appendingPathComponent("api.\(zone).crt"))

        let revoked = try await server.lego(["--domains", "www.\(zone)"], command: ["revoke"])
        #expect(revoked.status == 0, "\(revoked.output) \(revoked.error)")
    }

    @Test("Caddy: a site block with Signet (over HTTPS, --tls self) as its ACME CA with EAB obtains and serves a certificate")
    func caddy() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["app.\(zone). A 127.0.0.1"])
        let root = try Tools.temporaryDirectory()
        let httpsPort = try SignetProcess.freePort()
        let server = try await ACMEServer.start(
            root, databaseURL: try await TestSignet.database(for: root.appendingPathComponent("data")),
            extraArguments: ["--tls", "self", "--dcv-https-port", String(httpsPort)])
        defer { server.signet.stop() }
        let rootPEM = try await LiveClient(base: server.signet.base, key: nil).call(.GET, "/ca/root.pem").text
        let rootFile = root.appendingPathComponent("root.pem")
        try rootPEM.write(to: rootFile, atomically: true, encoding: .utf8)
        // Signet's own listener answers over TLS with a certificate its root vouches for.
        let directory = try await Tools.run("curl", ["-sS", "--cacert", rootFile.path, server.directory])
        #expect(directory.output.contains("newAccount"), "\(directory.output) \(directory.error)")

        let caddyfile = root.appendingPathComponent("Caddyfile")
        try """
        {
        \tadmin off
        \thttp_port \(server.challengePort)
        \thttps_port \(httpsPort)
        \tstorage file_system \(root.appendingPathComponent("caddy").path)
        \tacme_ca \(server.directory)
        \tacme_ca_root \(rootFile.path)
        \tacme_eab {
        \t\tkey_id \(server.keyID)
        \t\tmac_key \(server.hmacKey)
        \t}
        \temail ops@\(zone)
        \tskip_install_trust
        }
        app.\(zone) {
        \trespond "hello from caddy"
        }
        """.write(to: caddyfile, atomically: true, encoding: .utf8)
        let log = root.appendingPathComponent("caddy.log")
        #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
        let handle = try FileHandle(forWritingTo: log)
        let caddy = try ChildProcess(
            ["caddy", "run", "--config", caddyfile.path, "--adapter", "caddyfile"],
            environment: [
                "HOME": root.path, "XDG_DATA_HOME": root.appendingPathComponent("data-home").path,
                "XDG_CONFIG_HOME": root.appendingPathComponent("config-home").path,
            ], standardOutput: .descriptor(handle.fileDescriptor), standardError: .descriptor(handle.fileDescriptor))
        try handle.close()
        defer { Tools.kill(caddy) }
        var answer = Tools.Result(status: -1, output: "", error: "")
        let served = try await Tools.eventually(within: 60, every: 1) {
            answer = try await Tools.run(
                "curl",
                [
                    "-sS", "--max-time", "5", "--cacert", rootFile.path, "--resolve", "app.\(zone):\(httpsPort):127.0.0.1",
                    "https://app.\(zone):\(httpsPort)/",
                ], timeout: 20)
            return answer.output == "hello from caddy"
        }
        #expect(served, "\(answer.output) \(answer.error) \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let stored = try FileManager.default.subpathsOfDirectory(atPath: root.appendingPathComponent("caddy").path)
        let certificate = try #require(stored.first { $0.hasSuffix("app.\(zone).crt") }, "\(stored)")
        _ = try await server.judge(chainFile: root.appendingPathComponent("caddy").appendingPathComponent(certificate))
    }
}

extension ACMEClientTests {
    @Test("acme-load, bench/run's ACME driver, completes whole flows against Signet without an error")
    func loadDriver() async throws {
        let server = try await Self.serve()
        defer { server.signet.stop() }
        let driver = SignetProcess.binary.deletingLastPathComponent().appendingPathComponent("acme-load")
        let result = try await Tools.run(
            "acme-load",
            [
                "--directory", server.directory, "--eab-kid", server.keyID, "--eab-hmac", server.hmacKey, "--responder-port",
                String(server.challengePort), "--domain", TestDNS.loopbackZone, "--concurrency", "2", "--seconds", "2",
            ], executable: driver, timeout: 120)
        let report = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any]
        #expect((report?["flows"] as? Int ?? 0) > 0, "\(result.output) \(result.error)")
        #expect(report?["errors"] as? Int == 0, "\(result.output)")
    }
}
