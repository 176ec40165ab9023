import Foundation
import NIOHTTP1
import Testing

@testable import SignetTestSupport

/// No client value can stop the CA: every field of every JSON-accepting endpoint of both dialects,
/// given boundary and random values of every JSON type, answers a 4xx (or, for a value that happens to
/// be valid, a 2xx) in the dialect's own format, and `/healthz` answers after each request. It runs
/// against the built `signet` binary, so that a trap shows as a dead process, not a dead test runner.
@Suite("Hostile input", .serialized)
struct HostileInputTests {
    struct Endpoint {
        let method: HTTPMethod
        let path: String
        let body: FuzzDocument
    }

    /// The values each field is given: the boundary set plus a few random ones per run of the seed.
    static func values(seed: UInt64) -> [FuzzDocument] {
        FuzzDocument.boundaryValues + FuzzDocument.randomValues(count: 4, seed: seed)
    }

    /// Every mutation of `body`: each field replaced by each value, and the whole body replaced too.
    static func mutations(of body: FuzzDocument, seed: UInt64) -> [String] {
        let values = values(seed: seed)
        var texts = values.map(\.text)
        for path in body.paths {
            for value in values { texts.append(body.replacing(path[...], with: value).text) }
        }
        return texts
    }

    @Test("Boundary and random values in every field of every CertCentral and reseller endpoint: 4xx, and the server lives")
    func everyField() async throws {
        // Parsing does not depend on the database: one pass (SQLite) is enough.
        guard !TestPostgres.isEnabled else { return }
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try SignetProcess(data: root.appendingPathComponent("data"))
        defer { server.stop() }
        try await server.waitUntilServing()
        let admin = LiveClient(base: server.base, key: try server.adminKey)

        await #expect(try server.administer(["balance", "add", "10000000"]).status == 0)
        await #expect(try server.administer(["domain", "validate", "example.com"]).status == 0)
        let organization = try await admin.call(.POST, "organization", json: TestData.organization())
        let organizationID = try #require(organization.json["id"] as? Int)
        await #expect(try server.administer(["org", "validate", String(organizationID)]).status == 0)
        let csr = try TestData.csr()
        let order = TestData.secureSiteOrder(csr: csr, organizationID: organizationID)
        let issued = try await admin.call(.POST, "order/certificate/ssl_basic", json: order)
        let issuedID = try #require(issued.json["id"] as? Int, "\(issued.text)")
        let certificateID = try #require(issued.json["certificate_id"] as? Int)
        var waiting = order
        waiting["skip_approval"] = false
        let pending = try await admin.call(.POST, "order/certificate/ssl_basic", json: waiting)
        let requestID = try #require((pending.json["requests"] as? [[String: Any]])?.first?["id"] as? Int, "\(pending.text)")
        let domain = try await admin.call(.POST, "domain", json: ["name": "fuzz.example.org", "dcv_method": "dns-txt-token"])
        let domainID = try #require(domain.json["id"] as? Int, "\(domain.text)")

        // Every field the decoders read, with a valid value, so that each one is reached and mutated.
        var fullOrder = order
        fullOrder["alternative_order_id"] = "fuzz-1"
        fullOrder["order_validity"] = ["years": 1]
        fullOrder["validity_days"] = 30
        fullOrder["custom_expiration_date"] = "2027-01-01"
        fullOrder["container"] = ["id": 1]
        fullOrder["custom_fields"] = [["metadata_id": 1, "value": "x"]]
        fullOrder["dcv_method"] = "email"
        fullOrder["disable_ct"] = false
        fullOrder["locale"] = "en"
        fullOrder["additional_emails"] = ["ops@example.com"]
        fullOrder["renewal_of_order_id"] = issuedID
        fullOrder["renewed_thumbprint"] = "00"
        fullOrder["disable_renewal_notifications"] = true
        var certificate = try #require(fullOrder["certificate"] as? [String: Any])
        certificate["cert_validity"] = ["days": 30]
        certificate["profile_option"] = "server_auth_only_eku"
        certificate["emails"] = ["a@example.com"]
        fullOrder["certificate"] = certificate
        let reissue: [String: Any] = [
            "certificate": [
                "common_name": "example.com", "dns_names": ["www.example.com"], "csr": csr, "signature_hash": "sha256",
                "server_platform": ["id": 2], "emails": ["a@example.com"],
            ],
            "comments": "x", "skip_approval": false,
        ]
        let endpoints: [Endpoint] = [
            Endpoint(method: .POST, path: "order/certificate/ssl_basic", body: FuzzDocument(fullOrder)),
            Endpoint(
                method: .POST, path: "order/certificate/client_premium_sha2",
                body: FuzzDocument(TestData.clientOrder(csr: csr, organizationID: organizationID))),
            Endpoint(
                method: .POST, path: "organization",
                body: FuzzDocument(TestData.organization().merging(["container": ["id": 1]]) { $1 })),
            Endpoint(method: .POST, path: "order/certificate/\(issuedID)/reissue", body: FuzzDocument(reissue)),
            Endpoint(method: .POST, path: "order/certificate/\(issuedID)/duplicate", body: FuzzDocument(reissue)),
            Endpoint(
                method: .PUT, path: "request/\(requestID)/status",
                body: FuzzDocument(["status": "rejected", "processor_comment": "x"])),
            Endpoint(
                method: .PUT, path: "order/certificate/\(issuedID)/status",
                body: FuzzDocument(["status": "canceled", "note": "x"])),
            Endpoint(
                method: .PUT, path: "order/certificate/\(issuedID)/revoke",
                body: FuzzDocument(["revocation_reason": "superseded", "comments": "x", "skip_approval": false])),
            Endpoint(
                method: .PUT, path: "certificate/\(certificateID)/revoke",
                body: FuzzDocument(["reason": "superseded", "comment": "x", "skip_approval": false])),
            Endpoint(
                method: .PUT, path: "order/certificate/\(issuedID)/dcv-method",
                body: FuzzDocument(["dcv_method": "dns-txt-token"])),
            Endpoint(
                method: .PUT, path: "order/certificate/\(issuedID)/resend-emails",
                body: FuzzDocument(["domain_approval_emails": [["domain": "example.com", "email": "admin@example.com"]]])),
            Endpoint(
                method: .POST, path: "domain",
                body: FuzzDocument([
                    "name": "fuzz2.example.org", "dcv_method": "email", "keep_www": false, "organization": ["id": organizationID],
                    "container": ["id": 1],
                ])),
            Endpoint(method: .PUT, path: "domain/\(domainID)/dcv/method", body: FuzzDocument(["dcv_method": "dns-cname-token"])),
            Endpoint(
                method: .PUT, path: "domain/\(domainID)/dcv/emails", body: FuzzDocument(["email_array": ["admin@example.org"]])),
        ]

        var sent = 0
        for (index, endpoint) in endpoints.enumerated() {
            for text in Self.mutations(of: endpoint.body, seed: UInt64(index + 1)) {
                let response = try await admin.call(endpoint.method, endpoint.path, rawBody: text)
                sent += 1
                Self.expectCertCentralAnswer(response, "\(endpoint.method) \(endpoint.path) \(text.prefix(300))")
                let health = try await admin.call(.GET, "/healthz")
                try #require(
                    health.status == .ok, "the server stopped after \(endpoint.method) \(endpoint.path) \(text.prefix(300))")
            }
        }
        // Query strings and path parameters are client values too.
        for hostile in [
            "99999999999999999999", "9223372036854775808", "-1", "1e300", "%00", "abc", String(repeating: "9", count: 400),
        ] {
            for path in [
                "order/certificate?offset=\(hostile)", "order/certificate?limit=\(hostile)",
                "order/certificate?filters[id]=\(hostile)",
                "order/certificate?filters[status]=\(hostile)&sort=\(hostile)", "request?offset=\(hostile)",
                "outbox?limit=\(hostile)",
                "order/certificate/\(hostile)", "certificate/\(hostile)", "certificate/download/order/\(hostile)",
                "certificate/\(certificateID)/download/platform/\(hostile)", "domain/\(hostile)", "organization/\(hostile)",
                "request/\(hostile)", "order/alternate/\(hostile)", "container/\(hostile)",
            ] {
                let response = try await admin.call(.GET, path)
                sent += 1
                Self.expectCertCentralAnswer(response, "GET \(path)")
                try #require(try await admin.call(.GET, "/healthz").status == .ok, "the server stopped after GET \(path)")
            }
        }

        // The reseller dialect, signed by the independent client, one process for every case.
        let key = try await server.administer(["reseller-key", "create", "--name", "fuzz"]).output
        let accessKey = try #require(key.split(separator: "\n").first { $0.hasPrefix("accessKeyId=") }?.dropFirst(12))
        let secret = try #require(key.split(separator: "\n").first { $0.hasPrefix("accessKeySecret=") }?.dropFirst(16))
        let client = ResellerClient(base: server.base, accessKey: String(accessKey), secret: String(secret))
        let created = try await client.call("certificate/create", ResellerTests.createBody(zone: "example.com", csr: csr))
        let serviceID = created.data["service_id"] as? String ?? "o1"
        let resellerEndpoints: [(String, [String: Any])] = [
            (
                "certificate/create",
                ResellerTests.createBody(zone: "example.net", csr: csr, uniqueID: "fuzz").merging(
                    ["notify_url": "https://hooks.example.com/x", "organization": "Example Inc", "country": "US"]) { $1 }
            ),
            ("certificate/detail", ["service_id": serviceID]),
            ("certificate/list", ["page": 2, "page_size": 10, "status": "issued", "keyword": "example"]),
            (
                "certificate/reissue",
                ["service_id": serviceID, "unique_id": "r1", "csr": csr, "domain_dcv": ["www.example.com": "dns"]]
            ),
            ("certificate/update-dcv", ["service_id": serviceID, "domain_dcv": ["www.example.com": "http"]]),
            ("certificate/validate-dcv", ["service_id": serviceID]),
            ("certificate/add-san", ["service_id": serviceID, "san": 1]),
            ("certificate/remove-san", ["service_id": serviceID, "domain": "api.example.com"]),
            ("certificate/refund", ["service_id": serviceID]),
        ]
        var cases: [String] = []
        for (index, (path, body)) in resellerEndpoints.enumerated() {
            for text in Self.mutations(of: FuzzDocument(body), seed: UInt64(100 + index)) {
                let line = try JSONSerialization.data(withJSONObject: ["path": "/api/v1/" + path, "method": "POST", "body": text])
                cases.append(String(decoding: line, as: UTF8.self))
            }
        }
        let casesFile = root.appendingPathComponent("reseller-cases.jsonl")
        try cases.joined(separator: "\n").write(to: casesFile, atomically: true, encoding: .utf8)
        let result = try await Tools.run(
            "python3", [ResellerClient.script, "fuzz", server.base, String(accessKey), String(secret), casesFile.path])
        let answers = result.output.split(separator: "\n")
        #expect(answers.count == cases.count, "\(result.error)")
        for (answer, sentCase) in zip(answers, cases) {
            guard let outcome = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any] else {
                Issue.record("unreadable result \(answer)")
                continue
            }
            let status = outcome["status"] as? Int ?? 0
            #expect((200..<500).contains(status), "\(status) for \(sentCase.prefix(300)): \(outcome["body"] ?? "")")
            let body =
                (outcome["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
            #expect(body?["success"] is Bool, "not the reseller envelope for \(sentCase.prefix(300)): \(outcome["body"] ?? "")")
            try #require(outcome["health"] as? Int == 200, "the server stopped after \(sentCase.prefix(300))")
        }
        sent += answers.count
        #expect(server.process.isRunning)
        #expect(!server.output.contains("Fatal error"))
        #expect(sent > 3000, "only \(sent) hostile requests were sent")
    }

    /// A 2xx, or a 4xx with CertCentral's `{"errors":[{"code","message"}]}`; never a 5xx.
    static func expectCertCentralAnswer(_ response: TestResponse, _ context: String) {
        let code = Int(response.status.code)
        #expect((200..<500).contains(code), "\(code) for \(context): \(response.text.prefix(500))")
        if code >= 400 {
            #expect(response.errorCode != nil, "not CertCentral's error format for \(context): \(response.text.prefix(500))")
        }
    }

    @Test("A client that aborts its upload is the client's doing: logged below error level, and the server serves on")
    func abortedUpload() async throws {
        guard !TestPostgres.isEnabled else { return }
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try SignetProcess(data: root.appendingPathComponent("data"))
        defer { server.stop() }
        try await server.waitUntilServing()
        let key = try server.adminKey
        // A body announced as 1000 bytes, cut off after 9, then the connection closed.
        let script = """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
            s.sendall(b"POST /services/v2/organization HTTP/1.1\\r\\nHost: signet\\r\\nX-DC-DEVKEY: " + sys.argv[2].encode()
                      + b"\\r\\nContent-Type: application/json\\r\\nContent-Length: 1000\\r\\n\\r\\n{\\"name\\":")
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
            """
        let sent = try await Tools.run("python3", ["-c", script, String(server.port), key], timeout: 30)
        #expect(sent.status == 0, "\(sent.error)")
        let logged = try await Tools.eventually(within: 10) { server.output.contains("before its request was whole") }
        #expect(logged, "\(server.output)")
        // swift-log's lines: "<timestamp> <level> <label>: …".
        let errors = server.output.split(separator: "\n").filter { line in
            ["error", "critical"].contains(line.split(separator: " ").dropFirst().first.map(String.init) ?? "")
        }
        #expect(errors.isEmpty, "\(errors)")
        let health = try await LiveClient(base: server.base, key: nil).call(.GET, "/healthz")
        #expect(health.status == .ok)
    }
}
