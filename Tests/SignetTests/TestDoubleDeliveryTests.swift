import Foundation
import Testing

@testable import SignetTestSupport

/// The test double's polls, validations on demand, callbacks, outbox, time travel and the header
/// where Signet knowingly differs from CertCentral (docs/test-double.md).
extension TestDoubleTests {
    static func placeDV(_ double: EphemeralSignet, name: String, extra: [String: Any] = [:]) async throws -> TestResponse {
        let body: [String: Any] = [
            "certificate": ["common_name": name, "csr": try TestData.csr(commonName: name), "signature_hash": "sha256"],
            "validity_years": 1, "skip_approval": true, "payment_method": "balance",
        ].merging(extra) { $1 }
        return try await double.admin.call(.POST, "order/certificate/ssl_dv_geotrust", json: body)
    }

    @Test("Asynchronous issuance in polls: the order answers pending to the first three reads and issued to the fourth")
    func issuanceInPolls() async throws {
        let double = try await EphemeralSignet(["--dcv", "always-valid"])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        let set = try await double.admin.call(.PUT, "/test-double/issuance", json: ["polls": 3])
        #expect(set.json["polls"] as? Int == 3, "\(set.text)")
        let placed = try await Self.placeDV(double, name: "polled.example.com")
        #expect(placed.status == .created && placed.json["certificate_chain"] == nil, "\(placed.text)")
        let id = try #require(placed.json["id"] as? Int)
        var seen: [String] = []
        for _ in 0..<4 { seen.append(try await Self.status(double, order: id) ?? "?") }
        #expect(seen == ["pending", "pending", "pending", "issued"], "\(seen)")
        let download = try await double.admin.call(.GET, "certificate/download/order/\(id)/format/pem_all")
        #expect(download.status == .ok && download.text.contains("BEGIN CERTIFICATE"))

        for bad: [String: Any] in [["polls": -1], ["polls": 1.5], ["polls": 5000], [:]] {
            #expect(try await double.admin.call(.PUT, "/test-double/issuance", json: bad).status == .badRequest, "\(bad)")
        }
        #expect(try await double.admin.call(.POST, "/test-double/reset").status == .noContent)
        #expect(try await double.admin.call(.GET, "/test-double/issuance").json["polls"] as? Int == 0)
    }

    @Test("Reseller orders: a validation expired on demand is required again; callbacks listed and re-delivered; the outbox")
    func validationsCallbacksAndOutbox() async throws {
        let double = try await EphemeralSignet(["--allow-private-targets", "--recheck-interval", "0.5"])
        defer { Task { await double.stop() } }
        #expect(try await double.admin.call(.PUT, "/test-double/balance", json: ["balance": "5000.00"]).status == .ok)
        let created = try await Tools.run(
            "signet", ["reseller-key", "create", "--name", "shop", "--data", double.data], executable: SignetProcess.binary,
            timeout: 60)
        let fields = Dictionary(
            uniqueKeysWithValues: created.output.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            })
        let client = ResellerClient(
            base: double.url, accessKey: try #require(fields["accessKeyId"], "\(created.output) \(created.error)"),
            secret: try #require(fields["accessKeySecret"]))
        let receiver = try await CallbackReceiver(secret: client.secret, failFirst: 0)
        defer { receiver.stop() }
        let zone = TestDNS.uniqueZone()
        let validated = try await Tools.run(
            "signet", ["domain", "validate", zone, "--data", double.data], executable: SignetProcess.binary, timeout: 60)
        #expect(validated.status == 0, "\(validated.error)")

        var body = ResellerTests.createBody(zone: zone, csr: try TestData.csr(), choices: ["www.\(zone)": "dns"])
        body["notify_url"] = receiver.url
        let first = try await client.call("certificate/create", body)
        #expect(first.data["status"] as? String == "issued", "the domain's validation covers it: \(first.text)")
        #expect(try await Tools.eventually(within: 30) { receiver.calls.count == 1 }, "\(receiver.calls)")

        // The callback as the double recorded it; re-delivered, the receiver gets it again, signed again.
        // The receiver counts a call when it arrives, before the double records the answer it got.
        var listed = try await double.admin.call(.GET, "/test-double/callbacks")
        _ = try await Tools.eventually(within: 30) {
            listed = try await double.admin.call(.GET, "/test-double/callbacks")
            return (listed.json["callbacks"] as? [[String: Any]])?.first?["last_status"] as? Int != nil
        }
        let callback = try #require((listed.json["callbacks"] as? [[String: Any]])?.first, "\(listed.text)")
        #expect(callback["event"] as? String == "certificate.issued" && callback["last_status"] as? Int == 200, "\(callback)")
        #expect((callback["payload"] as? [String: Any])?["event"] as? String == "certificate.issued", "\(callback)")
        let callbackID = try #require(callback["id"] as? Int)
        let again = try await double.admin.call(.POST, "/test-double/callbacks/\(callbackID)/redeliver")
        #expect(again.status == .created, "\(again.text)")
        #expect(try await Tools.eventually(within: 30) { receiver.calls.count == 2 }, "\(receiver.calls)")
        #expect(receiver.calls.allSatisfy { $0["verified"] as? Bool == true && $0["event"] as? String == "certificate.issued" })
        #expect(try await double.admin.call(.POST, "/test-double/callbacks/999999/redeliver").status == .notFound)

        // The zone's validation ends now: the next order for a name in it waits for its own check.
        let expired = try await double.admin.call(.POST, "/test-double/domains/\(zone)/expire")
        #expect(expired.status == .ok && expired.json["expired"] as? Int == 1, "\(expired.text)")
        #expect(try await double.admin.call(.POST, "/test-double/domains/\(zone)/expire").status == .notFound)
        let second = try await client.call(
            "certificate/create",
            ResellerTests.createBody(zone: zone, csr: try TestData.csr(), uniqueID: "u2", choices: ["api.\(zone)": "dns"]))
        #expect(second.success && second.data["status"] as? String != "issued", "validated again, not reused: \(second.text)")

        // A name validated by e-mail: the message waits in the outbox, with its link.
        let third = try await client.call(
            "certificate/create",
            ResellerTests.createBody(
                zone: zone, csr: try TestData.csr(), uniqueID: "u3", choices: ["mail.\(zone)": "admin@\(zone)"]))
        #expect(third.success, "\(third.text)")
        let outbox = try await double.admin.call(.GET, "/test-double/outbox?to=admin@\(zone)")
        let message = try #require((outbox.json["messages"] as? [[String: Any]])?.first, "\(outbox.text)")
        #expect((message["body"] as? String)?.contains("http") == true && message["name"] as? String != nil, "\(message)")
        #expect(try await double.admin.call(.GET, "/test-double/outbox?order_id=x").status == .badRequest)

        // Time travel: validated again, then 400 days on, past any reuse period, the validation has
        // expired; the reseller's signatures still hold (they are judged in real time).
        _ = try await Tools.run(
            "signet", ["domain", "validate", zone, "--data", double.data], executable: SignetProcess.binary, timeout: 60)
        let reused = try await client.call(
            "certificate/create",
            ResellerTests.createBody(zone: zone, csr: try TestData.csr(), uniqueID: "u4", choices: ["v.\(zone)": "dns"]))
        #expect(reused.data["status"] as? String == "issued", "\(reused.text)")
        _ = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["days": 400])
        let late = try await client.call(
            "certificate/create",
            ResellerTests.createBody(zone: zone, csr: try TestData.csr(), uniqueID: "u5", choices: ["late.\(zone)": "dns"]))
        #expect(late.success && late.data["status"] as? String != "issued", "expired with time: \(late.text)")
    }

    @Test("Time travel: an auto_renew order renews when the clock reaches 30 days before its end")
    func automaticRenewalByClock() async throws {
        let double = try await EphemeralSignet(["--dcv", "always-valid", "--recheck-interval", "0.5"])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        let placed = try await Self.placeDV(double, name: "renewing.example.com", extra: ["auto_renew": 1])
        let id = try #require(placed.json["id"] as? Int, "\(placed.text)")
        func renewed() async throws -> Int? {
            try await double.admin.call(.GET, "order/certificate/\(id)").json["renewed_order_id"] as? Int
        }
        _ = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["days": 300])
        try await Task.sleep(nanoseconds: 1_500_000_000)
        #expect(try await renewed() == nil, "65 days before its end (a year of 365 days), not yet")
        _ = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["days": 40])
        #expect(try await Tools.eventually(within: 30, every: 0.25) { try await renewed() != nil }, "renewed")
        let renewal = try await double.admin.call(.GET, "order/certificate/\(try #require(try await renewed()))").json
        #expect(renewal["renewal_of_order_id"] as? Int == id, "\(renewal)")
    }

    @Test("Where Signet knowingly differs from CertCentral, a Signet-Differs header says so")
    func knownDifferences() async throws {
        let double = try await EphemeralSignet(["--dcv", "always-valid"])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        let placed = try await Self.placeDV(
            double, name: "differs.example.com", extra: ["locale": "de", "disable_renewal_notifications": true])
        #expect(placed.status == .created)
        #expect(
            placed.headers.first(name: "Signet-Differs") == "no-ct; not-acted-on=disable_renewal_notifications,locale",
            "\(placed.headers)")
        let card = try await Self.placeDV(double, name: "card.example.com", extra: ["payment_method": "card"])
        #expect(card.status == .badRequest && card.headers.first(name: "Signet-Differs") == "payment-method")
        let plain = try await Self.placeDV(double, name: "plain.example.com")
        #expect(plain.headers.first(name: "Signet-Differs") == "no-ct", "a TLS certificate without SCTs")
    }
}

extension TestDoubleTests {
    @Test("ACME through the double: lego, unchanged, gets a certificate through a slow new-order and issuance after two polls")
    func legoThroughTheDouble() async throws {
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["www.\(zone). A 127.0.0.1"])
        let challengePort = try SignetProcess.freePort()
        let double = try await EphemeralSignet([
            "--dcv-http-port", String(challengePort), "--allow-private-targets", "--pki-url", "http://pki.signet-test.com",
        ])
        defer { Task { await double.stop() } }
        try await Self.fund(double)
        let created = try await Tools.run(
            "signet", ["acme", "eab", "create", "--json", "--data", double.data], executable: SignetProcess.binary, timeout: 60)
        let eab = try #require(
            (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: String],
            "\(created.output) \(created.error)")
        _ = try await double.admin.call(.PUT, "/test-double/issuance", json: ["polls": 2])
        let slow = try await double.admin.call(
            .POST, "/test-double/faults", json: ["dialect": "acme", "path": "/acme/new-order", "delay_ms": 1500])
        #expect(slow.status == .created, "\(slow.text)")

        let folder = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await Tools.run(
            "lego",
            [
                "--server", double.url + "/acme/directory", "--path", folder.path, "--email", "ops@example.com", "--accept-tos",
                "--eab", "--kid=\(try #require(eab["key_id"]))", "--hmac=\(try #require(eab["hmac_key"]))",
                "--domains", "www.\(zone)", "--http", "--http.port", "127.0.0.1:\(challengePort)", "run",
            ], timeout: 180)
        #expect(run.status == 0, "\(run.output) \(run.error)")
        let chain = try String(contentsOf: folder.appendingPathComponent("certificates/www.\(zone).crt"), encoding: .utf8)
        #expect(Tools.pemBlocks(chain).count >= 2, "\(chain)")

        let journal = try await double.admin.call(.GET, "/test-double/requests?dialect=acme")
        let requests = try #require(journal.json["requests"] as? [[String: Any]], "\(journal.text)")
        #expect(requests.contains { $0["fault"] as? String == "delay 1500 ms" }, "\(requests)")
        let orderReads = requests.filter {
            ($0["path"] as? String)?.range(of: #"^/acme/order/\d+$"#, options: .regularExpression) != nil
        }
        #expect(orderReads.count >= 2, "lego polled its order through processing: \(orderReads)")
    }
}

extension TestDoubleTests {
    @Test("A key revoked after the clock moved back stops working within the cache period: the cache runs on real time")
    func revokedKeyAfterTimeTravel() async throws {
        let double = try await EphemeralSignet()
        defer { Task { await double.stop() } }
        let created = try await Tools.run(
            "signet", ["apikey", "create", "--role", "user", "--name", "traveller", "--data", double.data],
            executable: SignetProcess.binary, timeout: 60)
        let key = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let client = LiveClient(base: double.url, key: key)
        _ = try await double.admin.call(.PUT, "/test-double/clock", json: ["now": "2030-01-01T00:00:00Z"])
        #expect(try await client.call(.GET, "user/me").status == .ok)
        _ = try await double.admin.call(.PUT, "/test-double/clock", json: ["now": "2027-01-01T00:00:00Z"])
        let listed = try await Tools.run(
            "signet", ["apikey", "list", "--json", "--data", double.data], executable: SignetProcess.binary, timeout: 60)
        let entries = (try? JSONSerialization.jsonObject(with: Data(listed.output.utf8))) as? [[String: Any]] ?? []
        let id = try #require(entries.first { $0["name"] as? String == "traveller" }?["id"] as? Int, "\(listed.output)")
        let revoked = try await Tools.run(
            "signet", ["apikey", "revoke", String(id), "--data", double.data], executable: SignetProcess.binary, timeout: 60)
        #expect(revoked.status == 0, "\(revoked.error)")
        let refused = try await Tools.eventually(within: 15, every: 0.5) {
            try await client.call(.GET, "user/me").status == .unauthorized
        }
        #expect(refused, "three years back on the double's clock, the cached key still expires in seconds")
    }
}

extension TestDoubleTests {
    @Test("Out-of-range management values are a 400 that changes nothing: the clock past 2200 or before 2000, retry_after")
    func managementBounds() async throws {
        let double = try await EphemeralSignet()
        defer { Task { await double.stop() } }
        let before = try await double.admin.call(.GET, "/test-double/clock").json["now"] as? String
        let clocks: [[String: Any]] = [["now": "9999-12-31T00:00:00Z"], ["now": "1970-01-01T00:00:00Z"]]
        for body in clocks {
            let answer = try await double.admin.call(.PUT, "/test-double/clock", json: body)
            #expect(answer.status == .badRequest, "\(body): \(answer.text)")
        }
        let late = try await double.admin.call(.PUT, "/test-double/clock", json: ["now": "2199-06-01T00:00:00Z"])
        #expect(late.status == .ok, "\(late.text)")
        let advanced = try await double.admin.call(.POST, "/test-double/clock/advance", json: ["days": 365])
        #expect(advanced.status == .badRequest, "\(advanced.text)")
        let stayed = try await double.admin.call(.GET, "/test-double/clock").json["now"] as? String
        #expect(stayed?.hasPrefix("2199-06-01") == true, "\(stayed ?? "")")
        _ = try await double.admin.call(.POST, "/test-double/reset")
        let faults: [[String: Any]] = [["status": 429, "retry_after": -5], ["status": 503, "retry_after": 1e12]]
        for body in faults {
            let answer = try await double.admin.call(.POST, "/test-double/faults", json: body)
            #expect(answer.status == .badRequest, "\(body): \(answer.text)")
        }
        let after = try await double.admin.call(.GET, "/test-double/clock").json["now"] as? String
        // Reset put the real clock back: minutes apart at most (comparing the hour failed across one).
        let parsed = [before, after].compactMap { $0.flatMap { ISO8601DateFormatter().date(from: $0) } }
        #expect(
            parsed.count == 2 && abs(parsed[1].timeIntervalSince(parsed[0])) < 600, "\(before ?? "") \(after ?? "")")
        #expect((try await double.admin.call(.GET, "/test-double/faults").json["faults"] as? [Any])?.isEmpty == true)
    }
}
