import Foundation
import Testing

@testable import SignetTestSupport

/// What an operator reaches for (docs/operations.md): the version, request ids, access lines, JSON logs.
@Suite("Operations")
struct OperationsTests {
    static func serve(_ arguments: [String] = []) async throws -> (SignetProcess, URL) {
        let root = try Tools.temporaryDirectory()
        let signet = try SignetProcess(data: root.appendingPathComponent("data"), arguments: arguments)
        try await signet.waitUntilServing()
        return (signet, root)
    }

    @Test("The version: signet --version, /healthz's body and the Server header agree")
    func version() async throws {
        let printed = try await Tools.run("signet", ["--version"], executable: SignetProcess.binary, timeout: 60)
        let version = printed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.status == 0 && version.split(separator: ".").count == 3, "\(printed.output) \(printed.error)")
        let (signet, root) = try await Self.serve()
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let health = try await LiveClient(base: signet.base, key: nil).call(.GET, "/healthz")
        #expect(health.json["status"] as? String == "ok" && health.json["version"] as? String == version, "\(health.text)")
        #expect(health.headers.first(name: "Server") == "Signet/\(version)", "\(health.headers)")
    }

    @Test("/metrics: requests by dialect, route and status with latencies; orders, issuance, signing, CRL age, rate limits")
    func metrics() async throws {
        let (signet, root) = try await Self.serve(["--dcv", "always-valid", "--recheck-interval", "0.5", "--rate-limit", "3/60s"])
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        #expect(try await signet.administer(["balance", "add", "1000"]).status == 0)
        let key = try signet.adminKey
        let client = LiveClient(base: signet.base, key: key)
        let placed = try await client.call(
            .POST, "order/certificate/ssl_dv_geotrust",
            json: [
                "certificate": [
                    "common_name": "metrics.example.com", "csr": try TestData.csr(commonName: "metrics.example.com"),
                    "signature_hash": "sha256",
                ], "validity_years": 1, "skip_approval": true, "payment_method": "balance",
            ])
        #expect(placed.status == .created, "\(placed.text)")
        let id = try #require(placed.json["id"] as? Int)
        for _ in 0..<8 { _ = try await client.call(.GET, "order/certificate/\(id)") }

        var text = ""
        let complete = try await Tools.eventually(within: 15, every: 0.5) {
            let answer = try await LiveClient(base: signet.base, key: nil).call(.GET, "/metrics")
            text = answer.text
            return answer.status == .ok && text.contains("signet_orders{status=\"issued\"}")
                && text.contains("signet_crl_age_seconds{")
        }
        #expect(complete, "\(text)")
        for expected in [
            #"signet_http_requests_total{dialect="certcentral",route="/services/v2/order/certificate/:id",method="GET",status="200"}"#,
            #"signet_http_requests_total{dialect="certcentral",route="/services/v2/order/certificate/:id",method="GET",status="429"}"#,
            #"signet_http_request_duration_seconds_bucket{dialect="certcentral",route="/services/v2/order/certificate/:id""#,
            #"signet_orders_placed_total{product="ssl_dv_geotrust",dialect="certcentral"} 1"#,
            #"signet_certificates_issued_total{role="primary"} 1"#, "signet_signing_seconds_count 1",
            #"signet_rate_limited_total{kind="key"}"#, "signet_store_write_seconds_bucket",
            "signet_store_transaction_seconds_count",
            "signet_store_read_seconds_count", "signet_store_statements_total ",
            #"signet_store_json_columns_total{result="decoded"}"#,
            #"signet_store_json_columns_total{result="remembered"}"#,
        ] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        #expect(!text.contains(key) && !text.contains("metrics.example.com"), "never a key or a name from a request")

        let (quiet, quietRoot) = try await Self.serve(["--metrics", "off"])
        defer {
            quiet.stop()
            try? FileManager.default.removeItem(at: quietRoot)
        }
        #expect(try await LiveClient(base: quiet.base, key: nil).call(.GET, "/metrics").status == .notFound)
    }

    @Test("Request ids: the client's echoed, else a new one; in the header and in every dialect's error body")
    func requestIDs() async throws {
        let (signet, root) = try await Self.serve()
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let client = LiveClient(base: signet.base, key: try signet.adminKey)
        let given = try await client.call(.GET, "order/certificate/999999", headers: [("X-Request-ID", "suite-42.a:b_c")])
        #expect(given.status == .notFound && given.headers.first(name: "X-Request-ID") == "suite-42.a:b_c")
        #expect(given.json["request_id"] as? String == "suite-42.a:b_c", "\(given.text)")
        #expect((given.json["errors"] as? [[String: Any]])?.first?["code"] as? String != nil, "CertCentral's shape stays")

        // An id a log line cannot carry as it is gets replaced by a new one.
        let replaced = try await client.call(
            .GET, "order/certificate/999999", headers: [("X-Request-ID", "two words {and braces}")])
        let generated = try #require(replaced.headers.first(name: "X-Request-ID"))
        #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit), "\(generated)")
        #expect(replaced.json["request_id"] as? String == generated)

        let reseller = try await LiveClient(base: signet.base, key: nil).call(.POST, "/api/v1/product/list", json: [:])
        #expect(reseller.status == .unauthorized && reseller.json["success"] as? Bool == false, "\(reseller.text)")
        #expect(reseller.json["request_id"] as? String == reseller.headers.first(name: "X-Request-ID"), "\(reseller.text)")
        let acme = try await LiveClient(base: signet.base, key: nil).call(.POST, "/acme/new-order", rawBody: "{}")
        #expect(acme.json["type"] as? String != nil && acme.json["request_id"] as? String != nil, "\(acme.text)")

        let fine = try await client.call(.GET, "user/me")
        #expect(fine.status == .ok && fine.json["request_id"] == nil && fine.headers.first(name: "X-Request-ID") != nil)
    }

    @Test("--log-format json: one object per line; each request's access line names its route, status, key id, never the key")
    func accessLog() async throws {
        let (signet, root) = try await Self.serve(["--log-format", "json"])
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let key = try signet.adminKey
        let client = LiveClient(base: signet.base, key: key)
        _ = try await client.call(.GET, "order/certificate/12345", headers: [("X-Request-ID", "find-me")])
        let line = try await Self.logLine(signet) {
            $0["request_id"] as? String == "find-me" && $0["label"] as? String == "signet.access"
        }
        #expect(line["route"] as? String == "/services/v2/order/certificate/:id", "\(line)")
        #expect(line["status"] as? String == "404" && line["method"] as? String == "GET", "\(line)")
        #expect(line["key_id"] as? String == String(key.prefix(12)), "\(line)")
        #expect(Double(line["duration_ms"] as? String ?? "") != nil && line["client"] as? String == "127.0.0.1", "\(line)")
        let output = signet.output
        #expect(!output.contains(key), "the key is never written")
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })

        // --access-log off: no access lines.
        let (quiet, quietRoot) = try await Self.serve(["--access-log", "off", "--log-format", "json"])
        defer {
            quiet.stop()
            try? FileManager.default.removeItem(at: quietRoot)
        }
        _ = try await LiveClient(base: quiet.base, key: nil).call(.GET, "/healthz")
        #expect(!quiet.output.contains("signet.access"))
    }

    @Test("apikey list --json shows each key's id, role, container and last use, never the key; revoke answers 401 within 5 s")
    func apiKeys() async throws {
        let (signet, root) = try await Self.serve()
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let created = try await signet.administer(["apikey", "create", "--role", "user", "--name", "ci"])
        let key = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await LiveClient(base: signet.base, key: key).call(.GET, "user/me").status == .ok)

        let listed = try await signet.administer(["apikey", "list", "--json"])
        let adminKey = try signet.adminKey
        #expect(!listed.output.contains(key) && !listed.output.contains(adminKey), "never a key")
        let keys = try #require(
            (try? JSONSerialization.jsonObject(with: Data(listed.output.utf8))) as? [[String: Any]], "\(listed.output)")
        let entry = try #require(keys.first { $0["key_id"] as? String == String(key.prefix(12)) }, "\(keys)")
        #expect(entry["role"] as? String == "user" && entry["name"] as? String == "ci" && entry["active"] as? Bool == true)
        #expect(entry["last_used"] is String && entry["container_id"] is Int && entry["created"] is String, "\(entry)")
        let id = try #require(entry["id"] as? Int)

        let revoked = try await signet.administer(["apikey", "revoke", String(id)])
        #expect(revoked.status == 0, "\(revoked.error)")
        let refused = try await Tools.eventually(within: 10, every: 0.5) {
            try await LiveClient(base: signet.base, key: key).call(.GET, "user/me").status == .unauthorized
        }
        #expect(refused, "the revoked key answers 401 once the cache lets it go")
        let after = try await signet.administer(["apikey", "list", "--json"])
        #expect(after.output.contains(#""active":false"#), "\(after.output)")
        let again = try await signet.administer(["apikey", "revoke", String(id)])
        #expect(again.status != 0 && again.error.contains("no active API key \(id)"), "\(again.error)")
        let mistyped = try await signet.administer(["seed-orders", "5", "--from-order", "999"])
        #expect(mistyped.status != 0 && mistyped.error.contains("There is no order 999"), "\(mistyped.error)")
        let text = try await signet.administer(["apikey", "list"])
        #expect(text.output.contains("revoked") && text.output.contains("ci"), "\(text.output)")
    }

    @Test("An unknown LOG_LEVEL is refused with the names it may take, not ignored")
    func logLevel() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try await Tools.run(
            "signet",
            ["serve", "--data", root.appendingPathComponent("data").path, "--port", String(try SignetProcess.freePort())],
            executable: SignetProcess.binary, environment: ["LOG_LEVEL": "verbose"], timeout: 60)
        #expect(result.status != 0)
        #expect(result.error.contains("LOG_LEVEL must be one of trace, debug, info"), "\(result.error)")
    }

    @Test("A second server on the same SQLite folder, and a port in use, are refused before anything is created")
    func startUpRefusals() async throws {
        let (first, root) = try await Self.serve()
        defer {
            first.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let second = try await Tools.run(
            "signet", ["serve", "--data", first.data.path, "--port", String(try SignetProcess.freePort())],
            executable: SignetProcess.binary, timeout: 60)
        #expect(second.status != 0 && second.error.contains("Another signet (PID "), "\(second.error)")
        #expect(try await LiveClient(base: first.base, key: nil).call(.GET, "/healthz").status == .ok, "the first serves on")

        let fresh = root.appendingPathComponent("fresh")
        let taken = try await Tools.run(
            "signet", ["serve", "--data", fresh.path, "--port", String(first.port)], executable: SignetProcess.binary,
            timeout: 60)
        #expect(taken.status != 0 && taken.error.contains("Cannot listen on 127.0.0.1:\(first.port)"), "\(taken.error)")
        #expect(!FileManager.default.fileExists(atPath: fresh.appendingPathComponent("ca").path), "no CA was made")
        #expect(!FileManager.default.fileExists(atPath: fresh.appendingPathComponent("signet.sqlite").path))
    }

    @Test("Listening beyond loopback without TLS warns that keys cross the network in the clear")
    func plainHTTPWarning() async throws {
        let (signet, root) = try await Self.serve(["--host", "0.0.0.0"])
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        #expect(signet.output.contains("listening on 0.0.0.0 without TLS"), "\(signet.output.prefix(3000))")
    }

    @Test("After a clean stop signet.sqlite alone holds everything: the WAL was checkpointed into it")
    func checkpointOnStop() async throws {
        let (signet, root) = try await Self.serve()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try await signet.administer(["apikey", "create", "--role", "user", "--name", "after-stop"])
        await signet.stopAndWait()
        let alone = root.appendingPathComponent("alone.sqlite")
        try FileManager.default.copyItem(at: signet.data.appendingPathComponent("signet.sqlite"), to: alone)
        let count = try await Tools.run(
            "python3",
            [
                "-c",
                "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM api_keys WHERE name = 'after-stop'\").fetchone()[0])",
                alone.path,
            ])
        #expect(count.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(count.output) \(count.error)")
    }

    @Test("Negative values are refused for what they are, not as missing values")
    func negativeValues() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data").path
        let interval = try await Tools.run(
            "signet", ["serve", "--data", data, "--recheck-interval", "-3"], executable: SignetProcess.binary, timeout: 60)
        #expect(interval.status != 0 && interval.error.contains("--recheck-interval"), "\(interval.error)")
        #expect(!interval.error.lowercased().contains("missing"), "\(interval.error)")
        let balance = try await Tools.run(
            "signet", ["balance", "add", "-5", "--data", data], executable: SignetProcess.binary, timeout: 60)
        #expect(balance.status != 0 && balance.error.contains("more than zero, not -5"), "\(balance.error)")
    }

    @Test(
        "The example systemd unit verifies, and its hardening scores OK (at most 2.0) in systemd-analyze security",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze"))
    func systemdUnit() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/signet.service")
        // The unit as installed, its binary where this build put it.
        let unit = root.appendingPathComponent("signet.service")
        try String(contentsOf: source, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/signet", with: SignetProcess.binary.path)
            .write(to: unit, atomically: true, encoding: .utf8)
        let verified = try await Tools.run("systemd-analyze", ["verify", unit.path], timeout: 60)
        #expect(verified.status == 0, "\(verified.output) \(verified.error)")
        let security = try await Tools.run("systemd-analyze", ["security", "--offline=true", unit.path], timeout: 60)
        let level = security.output.components(separatedBy: "Overall exposure level for signet.service: ").last?
            .split(separator: " ").first.flatMap { Double($0) }
        #expect((level ?? 10) <= 2.0, "\(security.output.suffix(1500))")
    }

    /// The first JSON log line that `matches`, waiting for the log to be written.
    static func logLine(_ signet: SignetProcess, _ matches: @escaping ([String: Any]) -> Bool) async throws -> [String: Any] {
        var found: [String: Any]?
        _ = try await Tools.eventually(within: 10) {
            found = signet.output.split(separator: "\n").lazy.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }.first(where: matches)
            return found != nil
        }
        return try #require(found, "\(signet.output.suffix(2000))")
    }
}
