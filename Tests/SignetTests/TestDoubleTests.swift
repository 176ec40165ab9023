import Foundation
import Testing

@testable import SignetTestSupport

/// `signet serve --ephemeral`, the test double (docs/test-double.md), driven as a suite drives it:
/// the ready line, the management API over HTTP, and its effects seen through the dialects.
@Suite("Test double")
struct TestDoubleTests {
    /// A DV order placed through CertCentral that issues at once (`--dcv always-valid`); its leaf.
    static func issueDV(_ double: EphemeralSignet, name: String) async throws -> (status: Int, leaf: String?) {
        let body: [String: Any] = [
            "certificate": ["common_name": name, "csr": try TestData.csr(commonName: name), "signature_hash": "sha256"],
            "validity_years": 1, "skip_approval": true, "payment_method": "balance",
        ]
        let placed = try await double.admin.call(.POST, "order/certificate/ssl_dv_geotrust", json: body)
        let chain = placed.json["certificate_chain"] as? [[String: Any]]
        return (Int(placed.status.code), chain?.first?["pem"] as? String)
    }

    static func fund(_ double: EphemeralSignet) async throws {
        let funded = try await Tools.run(
            "signet", ["balance", "add", "100000", "--data", double.data], executable: SignetProcess.binary, timeout: 60)
        #expect(funded.status == 0, "\(funded.error)")
    }

    /// The certificate's life in days, from openssl's dates.
    static func lifetimeDays(_ pem: String) async throws -> Double {
        let dates = try await Tools.run("openssl", ["x509", "-noout", "-startdate", "-enddate"], input: Data(pem.utf8))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
        let parsed = dates.output.split(separator: "\n").compactMap {
            formatter.date(
                from: String($0.split(separator: "=", maxSplits: 1).last ?? "").replacingOccurrences(of: "  ", with: " "))
        }
        guard parsed.count == 2 else { return .infinity }
        return parsed[1].timeIntervalSince(parsed[0]) / 86_400
    }

    @Test("--ephemeral prints one JSON line with what a suite needs, answers at once, and leaves nothing behind")
    func ephemeralStart() async throws {
        let double = try await EphemeralSignet()
        for key in ["url", "admin_api_key", "root_certificate", "certcentral", "reseller", "acme_directory", "management"] {
            #expect(double.report[key] is String, "\(key) in \(double.report)")
        }
        #expect(try await LiveClient(base: double.url, key: nil).call(.GET, "/healthz").status == .ok)
        let rootFile = try #require(double.report["root_certificate"] as? String)
        let served = try await LiveClient(base: double.url, key: nil).call(.GET, "/ca/root.pem").text
        #expect(try String(contentsOfFile: rootFile, encoding: .utf8) == served)
        let me = try await double.admin.call(.GET, "user/me")
        #expect(me.status == .ok, "the administrator's key works: \(me.text)")
        await double.stop()
        #expect(!FileManager.default.fileExists(atPath: double.data), "the throwaway folder is gone")
    }

    @Test("--ca-from pins the trust anchor across runs")
    func pinnedCA() async throws {
        let first = try await EphemeralSignet()
        let pinned = try Tools.temporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: first.data + "/ca") {
            try FileManager.default.copyItem(atPath: first.data + "/ca/" + name, toPath: pinned.appendingPathComponent(name).path)
        }
        let root = try await LiveClient(base: first.url, key: nil).call(.GET, "/ca/root.pem").text
        await first.stop()
        let second = try await EphemeralSignet(["--ca-from", pinned.path])
        defer { Task { await second.stop() } }
        #expect(try await LiveClient(base: second.url, key: nil).call(.GET, "/ca/root.pem").text == root)
    }

    @Test("The management API takes only the administrator's key")
    func managementAuthentication() async throws {
        let double = try await EphemeralSignet()
        defer { Task { await double.stop() } }
        #expect(try await LiveClient(base: double.url, key: nil).call(.GET, "/test-double/clock").status == .unauthorized)
        #expect(try await LiveClient(base: double.url, key: "nonsense").call(.GET, "/test-double/clock").status == .unauthorized)
        let created = try await Tools.run(
            "signet", ["apikey", "create", "--role", "user", "--name", "suite", "--data", double.data],
            executable: SignetProcess.binary, timeout: 60)
        let key = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(created.status == 0 && !key.isEmpty, "\(created.error)")
        #expect(try await LiveClient(base: double.url, key: key).call(.GET, "/test-double/clock").status == .unauthorized)
        #expect(try await double.admin.call(.GET, "/test-double/clock").status == .ok)
    }

    @Test("The clock: set and advanced, it decides the CA/B Forum's limits (100 days from 2027-03-15, 47 from 2029-03-15)")
    func clock() async throws {
        // Its certificates point at a public name, as pkilint expects of a publicly-trusted leaf.
        let double = try await EphemeralSignet(["--dcv", "always-valid", "--pki-url", "http://pki.signet-test.com"])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        let set = try await double.admin.call(.PUT, "/test-double/clock", json: ["now": "2027-03-14T12:00:00Z"])
        #expect(set.json["now"] as? String == "2027-03-14T12:00:00+00:00", "\(set.text)")
        let advanced = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["days": 2])
        #expect((advanced.json["now"] as? String)?.hasPrefix("2027-03-16T12:00:0") == true, "\(advanced.text)")
        let in2027 = try await Self.issueDV(double, name: "y2027.example.com")
        #expect(in2027.status == 201)
        let days2027 = try await Self.lifetimeDays(try #require(in2027.leaf))
        #expect(days2027 <= 100 && days2027 > 90, "\(days2027) days")

        _ = try await double.admin.call(.PUT, "/test-double/clock", json: ["now": "2029-03-16T00:00:00Z"])
        let in2029 = try await Self.issueDV(double, name: "y2029.example.com")
        let leaf2029 = try #require(in2029.leaf)
        let days2029 = try await Self.lifetimeDays(leaf2029)
        #expect(days2029 <= 47 && days2029 > 40, "\(days2029) days")
        let report = try #require(
            try await PKIJudge.judge([
                PKIJudge.Document(
                    linter: "lint_cabf_serverauth_cert", arguments: ["-d"], contents: Data(leaf2029.utf8), label: "2029")
            ]).first)
        #expect(report.errors.isEmpty, "pkilint: \(report.output)")
    }

    @Test("Reset goes back to the start (orders, clock); snapshots save and restore a state")
    func resetAndSnapshots() async throws {
        let double = try await EphemeralSignet(["--dcv", "always-valid"])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        #expect(try await double.admin.call(.POST, "/test-double/snapshots/funded").status == .created)
        let first = try await Self.issueDV(double, name: "one.example.com")
        #expect(first.status == 201)
        #expect((try await double.admin.call(.GET, "order/certificate").json["orders"] as? [Any])?.count == 1)

        #expect(try await double.admin.call(.POST, "/test-double/snapshots/funded/restore").status == .noContent)
        #expect((try await double.admin.call(.GET, "order/certificate").json["orders"] as? [Any])?.count == 0)
        #expect(try await Self.issueDV(double, name: "two.example.com").status == 201, "the balance came back with the snapshot")
        #expect(try await double.admin.call(.POST, "/test-double/snapshots/missing/restore").status == .notFound)
        #expect(try await double.admin.call(.POST, "/test-double/snapshots/no%20spaces").status == .badRequest)

        _ = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["days": 400])
        #expect(try await double.admin.call(.POST, "/test-double/reset").status == .noContent)
        #expect((try await double.admin.call(.GET, "order/certificate").json["orders"] as? [Any])?.count == 0)
        let now = try await double.admin.call(.GET, "/test-double/clock").json["now"] as? String
        #expect(now?.hasPrefix(String(ISO8601DateFormatter().string(from: Date()).prefix(10))) == true, "\(now ?? "")")
        #expect(try await double.admin.call(.GET, "user/me").status == .ok, "the administrator's key survives a reset")
    }
}

extension TestDoubleTests {
    @Test("Faults: each dialect's own 429 and 5xx with Retry-After, for N requests or a probability; then served again")
    func statusFaults() async throws {
        let double = try await EphemeralSignet()
        defer { Task { await double.stop() } }
        let fault: [String: Any] = [
            "dialect": "certcentral", "path": "/services/v2/user/*", "status": 429, "times": 2, "retry_after": 3,
        ]
        #expect(try await double.admin.call(.POST, "/test-double/faults", json: fault).status == .created)
        for _ in 0..<2 {
            let limited = try await double.admin.call(.GET, "user/me")
            #expect(limited.status == .tooManyRequests && limited.headers.first(name: "Retry-After") == "3")
            #expect(limited.errorCode == "request_limit_exceeded", "\(limited.text)")
        }
        #expect(try await double.admin.call(.GET, "user/me").status == .ok, "two hits, then served")

        _ = try await double.admin.call(
            .POST, "/test-double/faults", json: ["dialect": "reseller", "status": 503, "probability": 1, "retry_after": 9])
        let reseller = try await LiveClient(base: double.url, key: nil).call(.POST, "/api/v1/account/balance", json: [:])
        #expect(reseller.status == .serviceUnavailable && reseller.headers.first(name: "Retry-After") == "9")
        #expect(reseller.json["success"] as? Bool == false && reseller.json["code"] as? Int == 503, "\(reseller.text)")
        #expect(
            try await LiveClient(base: double.url, key: nil).call(.POST, "/api/v1/account/balance").status == .serviceUnavailable)

        _ = try await double.admin.call(.POST, "/test-double/faults", json: ["path": "/acme/*", "status": 429])
        let acme = try await LiveClient(base: double.url, key: nil).call(.GET, "/acme/directory")
        #expect(acme.status == .tooManyRequests && acme.json["type"] as? String == "urn:ietf:params:acme:error:rateLimited")

        let listed = try await double.admin.call(.GET, "/test-double/faults")
        #expect((listed.json["faults"] as? [[String: Any]])?.count == 1, "the counted ones are used up: \(listed.text)")
        #expect(try await double.admin.call(.DELETE, "/test-double/faults").status == .noContent)
        #expect(try await LiveClient(base: double.url, key: nil).call(.GET, "/acme/directory").status == .ok)

        for refused: [String: Any] in [
            ["status": 404], ["status": 500, "times": 0], ["status": 500, "probability": 2], ["dialect": "other", "empty": true],
            ["path": "/x"], ["status": 500, "times": 1, "probability": 0.5],
        ] {
            #expect(try await double.admin.call(.POST, "/test-double/faults", json: refused).status == .badRequest, "\(refused)")
        }
    }

    @Test("Faults: a delay, an empty 200, a body cut off halfway, a dropped connection; the journal shows each")
    func connectionFaults() async throws {
        let double = try await EphemeralSignet()
        defer { Task { await double.stop() } }
        let me = double.url + "/services/v2/user/me"
        func curl(_ extra: [String] = []) async throws -> Tools.Result {
            try await Tools.run(
                "curl",
                [
                    "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}", "-H",
                    "X-DC-DEVKEY: \(double.adminKey)", me,
                ] + extra, timeout: 30)
        }
        _ = try await double.admin.call(.POST, "/test-double/faults", json: ["path": "/services/v2/user/me", "delay_ms": 400])
        let delayed = try await curl()
        #expect(delayed.output.hasPrefix("200 "), "\(delayed.output)")
        #expect((Double(delayed.output.split(separator: " ").last ?? "") ?? 0) >= 0.4, "\(delayed.output)")

        _ = try await double.admin.call(.POST, "/test-double/faults", json: ["path": "/services/v2/user/me", "empty": true])
        #expect(try await curl().output.hasPrefix("200 0 "), "an empty 200")

        _ = try await double.admin.call(.POST, "/test-double/faults", json: ["path": "/services/v2/user/me", "truncate": true])
        let truncated = try await curl()
        #expect(truncated.status == 18, "curl: partial file: \(truncated.output) \(truncated.error)")

        _ = try await double.admin.call(.POST, "/test-double/faults", json: ["path": "/services/v2/user/me", "drop": true])
        let dropped = try await curl()
        #expect(dropped.status == 52, "curl: empty reply from server: \(dropped.output) \(dropped.error)")
        #expect(try await curl().output.hasPrefix("200 "), "served again")

        let journal = try await double.admin.call(.GET, "/test-double/requests?dialect=certcentral&path=/services/v2/user/*")
        let faults = (journal.json["requests"] as? [[String: Any]])?.compactMap { $0["fault"] as? String }
        #expect(faults == ["delay 400 ms", "empty", "truncate", "drop"], "\(journal.text)")
        #expect(try await double.admin.call(.DELETE, "/test-double/requests").status == .noContent)
        let cleared = try await double.admin.call(.GET, "/test-double/requests")
        #expect((cleared.json["requests"] as? [Any])?.isEmpty == true, "\(cleared.text)")
    }
}

extension TestDoubleTests {
    static let certmesh = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/certmesh_client.py").path

    /// certmesh's order, poll, download and revoke against the double; its one JSON line.
    static func runCertmesh(_ double: EphemeralSignet, name: String) async throws -> [String: Any] {
        let result = try await Tools.run(
            "python3", [certmesh, double.report["certcentral"] as? String ?? "", name],
            environment: ["CM_DIGICERT_API_KEY": double.adminKey], timeout: 180)
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            ?? ["error": "no JSON", "detail": result.output + result.error]
    }

    @Test(
        "certmesh (PyPI), unchanged: order, poll, download, revoke; dropped connections survived; a 503 reported; asynchronous issuance"
    )
    func certmeshThroughFaults() async throws {
        let double = try await EphemeralSignet([
            "--dcv", "always-valid", "--pki-url", "http://pki.signet-test.com", "--recheck-interval", "0.5",
        ])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        let clean = try await Self.runCertmesh(double, name: "clean.example.com")
        #expect(clean["issued"] as? String == "clean.example.com", "\(clean)")
        #expect(clean["revoked"] != nil, "\(clean)")

        // A dropped connection on the order and on the first poll: certmesh retries both; the order is placed once.
        for fault: [String: Any] in [
            ["method": "POST", "path": "/services/v2/order/certificate/*", "drop": true],
            ["method": "GET", "path": "/services/v2/order/certificate/*", "drop": true],
        ] {
            #expect(try await double.admin.call(.POST, "/test-double/faults", json: fault).status == .created)
        }
        let survived = try await Self.runCertmesh(double, name: "dropped.example.com")
        #expect(survived["issued"] as? String == "dropped.example.com", "\(survived)")
        let orders = try await double.admin.call(.GET, "order/certificate?filters[common_name]=dropped.example.com")
        #expect((orders.json["orders"] as? [Any])?.count == 1, "a dropped order request is not served: \(orders.text)")
        let journal = try await double.admin.call(.GET, "/test-double/requests?path=/services/v2/order/certificate*")
        let dropped = (journal.json["requests"] as? [[String: Any]])?.filter { $0["fault"] as? String == "drop" }
        #expect(dropped?.count == 2, "\(journal.text)")

        // certmesh retries rate limits and connection errors, not a 503: it reports the error.
        _ = try await double.admin.call(
            .POST, "/test-double/faults", json: ["method": "GET", "path": "/services/v2/certificate/*", "status": 503])
        let unavailable = try await Self.runCertmesh(double, name: "unavailable.example.com")
        #expect(unavailable["error"] as? String == "DigiCertAPIError", "\(unavailable)")
        #expect((unavailable["detail"] as? String)?.contains("503") == true, "\(unavailable)")
        _ = try await double.admin.call(.DELETE, "/test-double/faults")

        // Asynchronous issuance: certmesh polls until the order is issued.
        _ = try await double.admin.call(.PUT, "/test-double/issuance", json: ["delay_seconds": 4])
        let later = try await Self.runCertmesh(double, name: "later.example.com")
        #expect(later["issued"] as? String == "later.example.com", "\(later)")
        let polls = try await double.admin.call(.GET, "/test-double/requests?path=/services/v2/order/certificate/*")
        let gets = (polls.json["requests"] as? [[String: Any]])?.filter { $0["method"] as? String == "GET" }.count ?? 0
        #expect(gets >= 2, "certmesh saw pending before issued: \(polls.text)")
    }
}

extension TestDoubleTests {
    /// An order's status as CertCentral reports it.
    static func status(_ double: EphemeralSignet, order id: Int) async throws -> String? {
        try await double.admin.call(.GET, "order/certificate/\(id)").json["status"] as? String
    }

    @Test("Workflow: DCV failed then valid, an approval, a CA revocation, the balance, asynchronous issuance")
    func workflow() async throws {
        let double = try await EphemeralSignet(["--recheck-interval", "0.5", "--pki-url", "http://pki.signet-test.com"])
        defer { Task { await double.stop() } }
        #expect(try await double.admin.call(.PUT, "/test-double/balance", json: ["balance": "5000.00"]).status == .ok)
        #expect(try await double.admin.call(.GET, "finance/balance").json["balance"] as? String == "5000.00")

        func place(_ name: String, skipApproval: Bool) async throws -> [String: Any] {
            let body: [String: Any] = [
                "certificate": ["common_name": name, "csr": try TestData.csr(commonName: name), "signature_hash": "sha256"],
                "validity_years": 1, "skip_approval": skipApproval, "payment_method": "balance",
            ]
            let placed = try await double.admin.call(.POST, "order/certificate/ssl_dv_geotrust", json: body)
            #expect(placed.status == .created, "\(placed.text)")
            return placed.json
        }
        let first = try #require(try await place("first.example.com", skipApproval: true)["id"] as? Int)
        #expect(try await Self.status(double, order: first) == "pending", "waits for DCV")
        let failed = try await double.admin.call(
            .POST, "/test-double/orders/\(first)/dcv", json: ["status": "failed", "detail": "no TXT record yet"])
        #expect(failed.status == .noContent)
        #expect(try await Self.status(double, order: first) == "pending")
        _ = try await double.admin.call(.POST, "/test-double/orders/\(first)/dcv", json: ["status": "valid"])
        #expect(try await Self.status(double, order: first) == "issued")

        let second = try await place("second.example.com", skipApproval: false)
        let secondID = try #require(second["id"] as? Int)
        let requestID = try #require((second["requests"] as? [[String: Any]])?.first?["id"] as? Int, "\(second)")
        #expect(try await Self.status(double, order: secondID) == "needs_approval")
        #expect(
            try await double.admin.call(.POST, "/test-double/approvals/\(requestID)", json: ["decision": "approve"]).status
                == .noContent)
        _ = try await double.admin.call(
            .POST, "/test-double/orders/\(secondID)/dcv", json: ["status": "valid", "names": ["second.example.com"]])
        #expect(try await Self.status(double, order: secondID) == "issued")

        #expect(
            try await double.admin.call(.POST, "/test-double/orders/\(first)/revoke", json: ["reason": "keyCompromise"]).status
                == .noContent)
        let revoked = try await double.admin.call(.GET, "order/certificate/\(first)")
        #expect((revoked.json["certificate"] as? [String: Any])?["status"] as? String == "revoked", "\(revoked.text)")
        #expect(try await double.admin.call(.POST, "/test-double/orders/\(first)/revoke").status == .conflict)

        // Asynchronous issuance: validated and approved, the order answers pending until its hour has
        // passed on the double's clock; then the background pass signs it.
        _ = try await double.admin.call(.PUT, "/test-double/issuance", json: ["delay_seconds": 3600])
        let third = try #require(try await place("third.example.com", skipApproval: true)["id"] as? Int)
        _ = try await double.admin.call(.POST, "/test-double/orders/\(third)/dcv", json: ["status": "valid"])
        #expect(try await Self.status(double, order: third) == "pending", "not before an hour")
        _ = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["seconds": 3601])
        let issued = try await Tools.eventually(within: 30, every: 0.25) {
            try await Self.status(double, order: third) == "issued"
        }
        #expect(issued, "the background pass signs it once it has waited")

        for (path, body) in [
            ("/test-double/approvals/\(requestID)", ["decision": "maybe"]), ("/test-double/orders/\(first)/dcv", ["status": "x"]),
            ("/test-double/orders/\(first)/dcv", ["status": "valid", "names": ["other.example.com"]]),
        ] as [(String, [String: Any])] {
            #expect(try await double.admin.call(.POST, path, json: body).status == .badRequest, "\(path) \(body)")
        }
        #expect(try await double.admin.call(.PUT, "/test-double/balance", json: ["balance": "-1"]).status == .badRequest)
    }
}
