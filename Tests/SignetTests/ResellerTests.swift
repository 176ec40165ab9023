import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// The AnquanSSL reseller dialect, driven by an independent client (Fixtures/reseller.py).
@Suite("Reseller API")
struct ResellerTests {
    static func start(
        _ signet: TestSignet, funds: Money = "1000.00"
    ) async throws -> ResellerClient {
        let base = try await signet.listen()
        _ = try await signet.administration.addBalance(funds)
        let (accessKey, secret) = try await signet.administration.createResellerKey(name: "shop")
        return ResellerClient(base: base, accessKey: accessKey, secret: secret)
    }

    static func createBody(zone: String, csr: String, uniqueID: String = "u1", choices: [String: String]? = nil) -> [String: Any]
    {
        [
            "unique_id": uniqueID, "product_id": "ssl_dv_geotrust", "period": "annually",
            "domain_dcv": choices ?? ["www.\(zone)": "dns", "api.\(zone)": "http"], "csr": csr,
            "contact_email": "ops@\(zone)", "renew": 0,
        ]
    }

    @Test("create → DCV by Sectigo-style CNAME and file → issued; detail carries the certificate and the chain")
    func fullFlow() async throws {
        let dns = try TestDNS.shared
        let web = try await TestWebServer()
        defer { web.stop() }
        let zone = TestDNS.uniqueZone()
        try await dns.add(["api.\(zone). A 127.0.0.1"])
        try await withSignet(configure: {
            $0.dcvHTTPPort = web.port; $0.dcvHTTPSPort = web.port; $0.allowPrivateTargets = true
        }) {
            signet in
            let client = try await Self.start(signet)
            let csr = try TestData.csr(.rsa2048, commonName: "www.\(zone)")
            let created = try await client.call("certificate/create", Self.createBody(zone: zone, csr: csr))
            #expect(created.status == 200, "\(created.text)")
            #expect(created.success)
            #expect(created.message == "OK")
            // Each name's domain records the method chosen for that name, not the order's default.
            let stored = try await signet.store.read { connection in
                let order = try connection.orders(alternativeOrderID: "reseller:\(client.accessKey):u1", containerIDs: nil).first
                return (order?.dcv?.names ?? [:], try connection.domains(containerIDs: nil))
            }
            #expect(stored.0["www.\(zone)"]?.method == "dns" && stored.0["api.\(zone)"]?.method == "http", "\(stored.0)")
            for domain in stored.1 where domain.name.hasSuffix(zone) {
                #expect(domain.method == stored.0[domain.name]?.method, "\(domain.name): \(domain.method)")
            }
            let data = created.data
            #expect(data["cost"] as? Double == 118)
            #expect(data["status"] as? String == "pending")
            #expect(data["cert_pem"] is NSNull)
            let serviceID = try #require(data["service_id"] as? String)
            let dcv = try #require(data["dcv"] as? [String: [String: Any]])
            let www = try #require(dcv["www.\(zone)"])
            #expect(www["type"] as? String == "dns")
            #expect(www["subdomain"] as? String == "www")
            #expect(www["topleveldomain"] as? String == zone)
            let dnsBlock = try #require(www["dns"] as? [String: Any])
            let hostname = try #require(dnsBlock["hostname"] as? String)
            let value = try #require(dnsBlock["value"] as? String)
            #expect(hostname.count == 33 && hostname.hasPrefix("_"))
            #expect(value.hasSuffix(".comodoca.com") && value.split(separator: ".").count == 5)
            #expect(dnsBlock["fullname"] as? String == "\(hostname).www.\(zone)")
            let http = try #require(dcv["api.\(zone)"]?["http"] as? [String: Any])
            let fileName = try #require(http["filename"] as? String)
            let fileContent = try #require(http["filecontent"] as? String)
            #expect(http["url"] as? String == "http://api.\(zone)/.well-known/pki-validation/\(fileName)")
            #expect(fileContent.split(separator: "\n").count == 3)

            try await dns.add(["\(hostname).www.\(zone). CNAME \(value)."])
            try web.serve(fileContent, host: "api.\(zone)", path: "/.well-known/pki-validation/\(fileName)")
            let validated = try await client.call("certificate/validate-dcv", ["service_id": serviceID])
            #expect(validated.data["status"] as? String == "issued", "\(validated.text)")

            let detail = try await client.call("certificate/detail", method: "GET", ["service_id": serviceID], style: "php")
            #expect(detail.success, "\(detail.text)")
            let certificate = try #require(detail.data["cert_pem"] as? String)
            #expect(detail.data["issued_cert"] as? String == certificate)
            let chain = Tools.pemBlocks(try #require(detail.data["ca_pem"] as? String))
            #expect(chain.count == 2)
            let verdict = try await Tools.verify(leaf: certificate, intermediate: chain[0], root: chain[1])
            #expect(verdict.status == 0, "\(verdict.output) \(verdict.error)")
            #expect(detail.data["not_after"] is String)
            #expect(
                (detail.data["dcv"] as? [String: [String: Any]])?.values.allSatisfy { $0["status"] as? String == "valid" } == true
            )
            #expect(try await signet.balance() == Money(cents: 100_000 - 11_800))

            let list = try await client.call("certificate/list", method: "GET", ["page": 1])
            #expect((list.data["data"] as? [[String: Any]])?.first?["service_id"] as? String == serviceID)
            #expect(list.data["total"] as? Int == 1)
            let products = try await client.call("product/list", method: "GET")
            let ids = (products.data["products"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(ids.contains("ssl_dv_geotrust") && ids.contains("ssl_ev_basic"))
        }
    }

    @Test("Bad input is a 422 with field errors, changes nothing, and the server keeps serving")
    func badInput() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let client = try await Self.start(signet)
            let csr = try TestData.csr(.rsa2048, commonName: "www.\(zone)")
            let before = try await signet.balance()
            var cases: [([String: Any], String)] = []
            var body = Self.createBody(zone: zone, csr: csr)
            body["unique_id"] = nil
            cases.append((body, "unique_id"))
            cases.append((Self.createBody(zone: zone, csr: csr).merging(["product_id": "ssl_nothing"]) { $1 }, "product_id"))
            cases.append((Self.createBody(zone: zone, csr: csr).merging(["period": "monthly"]) { $1 }, "period"))
            cases.append((Self.createBody(zone: zone, csr: csr).merging(["product_id": "ssl_basic"]) { $1 }, "serial_no"))
            await cases.append(
                (
                    Self.createBody(zone: zone, csr: csr).merging(["csr": try Tools.opensslCSR(["-newkey", "rsa:3072"])]) { $1 },
                    "csr"
                ))
            cases.append((Self.createBody(zone: zone, csr: "garbage"), "csr"))
            cases.append((Self.createBody(zone: zone, csr: csr, choices: ["www.\(zone)": "ceo@\(zone)"]), "domain_dcv"))
            cases.append((Self.createBody(zone: zone, csr: csr, choices: ["bad name.\(zone)": "dns"]), "domain_dcv"))
            cases.append(
                (Self.createBody(zone: zone, csr: csr).merging(["notify_url": "http://127.0.0.1:9/x"]) { $1 }, "notify_url"))
            cases.append(
                (Self.createBody(zone: zone, csr: csr).merging(["notify_url": "ftp://example.org/x"]) { $1 }, "notify_url"))
            var wildcard = Self.createBody(zone: zone, csr: csr, choices: ["*.\(zone)": "http"])
            wildcard["product_id"] = "wildcard_dv_geotrust"
            cases.append((wildcard, "domain_dcv"))
            for (index, (body, field)) in cases.enumerated() {
                var attempt = body
                if attempt["unique_id"] != nil { attempt["unique_id"] = "bad-\(index)" }
                let answer = try await client.call("certificate/create", attempt)
                #expect(answer.status == 422, "\(field): \(answer.status) \(answer.text)")
                #expect(!answer.success)
                #expect(answer.fieldErrors[field] != nil, "\(field): \(answer.text)")
            }
            #expect(try await signet.orderCount() == 0)
            #expect(try await signet.balance() == before)
            let unknown = try await client.call("certificate/detail", method: "GET", ["service_id": "nope"])
            #expect(unknown.status == 404)
            #expect(unknown.message == "NOT_FOUND")
        }
    }

    @Test("Wrong signature, stale timestamp, replayed nonce and unknown keys are refused; the PHP style is accepted")
    func authentication() async throws {
        try await withSignet { signet in
            let client = try await Self.start(signet)
            let wrong = ResellerClient(base: client.base, accessKey: client.accessKey, secret: "not-the-secret")
            let badSignature = try await wrong.call("product/list", method: "GET")
            #expect(badSignature.status == 401)
            #expect(badSignature.message == "INVALID_SIGNATURE")
            let unknown = ResellerClient(base: client.base, accessKey: "AKunknown", secret: client.secret)
            #expect(try await unknown.call("product/list", method: "GET").message == "INVALID_ACCESS_KEY")

            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
            let stale = calendar.date(byAdding: .minute, value: -10, to: Date())!
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: stale)
            let timestamp = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
                parts.second!)
            let old = try await client.call("product/list", method: "GET", timestamp: timestamp)
            #expect(old.status == 401)
            #expect(old.message == "TIMESTAMP_EXPIRED")

            let first = try await client.call("product/list", method: "GET", nonce: "fixed-nonce-1")
            #expect(first.success)
            let replay = try await client.call("product/list", method: "GET", nonce: "fixed-nonce-1")
            #expect(replay.status == 401)
            #expect(replay.message == "NONCE_REUSED")

            for style in ["php", "sdk"] {
                #expect(try await client.call("product/list", method: "GET", style: style).success, "\(style) GET")
                #expect(
                    try await client.call("certificate/list", method: "POST", ["page": 1, "keyword": " "], style: style).success,
                    "\(style) POST")
            }
        }
    }

    @Test("unique_id: fifty identical creates at once make one order and one charge; another body under it is refused")
    func uniqueID() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let client = try await Self.start(signet)
            let body = Self.createBody(zone: zone, csr: try TestData.csr(.p256, commonName: "www.\(zone)"), uniqueID: "burst")
            let answers = try await client.burst("certificate/create", body, count: 50)
            #expect(answers.count == 50)
            #expect(answers.allSatisfy { $0.success }, "\(answers.first { !$0.success }?.text ?? "")")
            #expect(Set(answers.compactMap { $0.data["service_id"] as? String }).count == 1)
            #expect(Set(answers.compactMap { $0.data["cost"] as? Double }) == [118])
            #expect(try await signet.orderCount() == 1)
            #expect(try await signet.balance() == Money(cents: 100_000 - 11_800))
            #expect(try await signet.store.read { try $0.ledgerSum() } == Money(cents: 100_000 - 11_800))
            var other = body
            other["period"] = "biennially"
            let refused = try await client.call("certificate/create", other)
            #expect(refused.status == 409)
            #expect(refused.message == "UNIQUE_ID_REUSED")
        }
    }

    @Test("Seed 004 reissue: a new key keeps the old certificate; replacing a name revokes it; extra names cost")
    func reissue() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let client = try await Self.start(signet)
            try await signet.administration.validateDomain(name: zone)
            let created = try await client.call("certificate/create", Self.createBody(zone: zone, csr: try TestData.csr()))
            #expect(created.data["status"] as? String == "issued", "\(created.text)")
            let serviceID = try #require(created.data["service_id"] as? String)
            let caid = try #require(created.data["caid"] as? String)
            let orderID = try #require(Int(caid))
            let firstCertificate = try #require(try await signet.store.read { try $0.order(id: orderID)?.certificateID })

            let keyOnly = try await client.call(
                "certificate/reissue", ["unique_id": "r1", "service_id": serviceID, "csr": try TestData.csr(.p384)])
            #expect(keyOnly.success, "\(keyOnly.text)")
            #expect(keyOnly.data["cost"] as? Double == 0)
            #expect(keyOnly.data["status"] as? String == "issued")
            let secondCertificate = try #require(try await signet.store.read { try $0.order(id: orderID)?.certificateID })
            #expect(secondCertificate != firstCertificate)
            #expect(
                try await LifecycleTests.certificateStatus(signet, firstCertificate) == "issued", "same names: the old one stays")
            let again = try await client.call(
                "certificate/reissue", ["unique_id": "r1", "service_id": serviceID, "csr": try TestData.csr(.p384)])
            #expect(again.status == 409, "another CSR under the same unique_id")

            let replaced = try await client.call(
                "certificate/reissue",
                ["unique_id": "r2", "service_id": serviceID, "domain_dcv": ["www.\(zone)": "dns", "shop.\(zone)": "dns"]])
            #expect(replaced.success, "\(replaced.text)")
            #expect(replaced.data["cost"] as? Double == 0)
            #expect(
                try await LifecycleTests.certificateStatus(signet, secondCertificate) == "revoked", "api.\(zone) was replaced")

            let bigger = try await client.call(
                "certificate/reissue",
                [
                    "unique_id": "r3", "service_id": serviceID,
                    "domain_dcv": ["www.\(zone)": "dns", "shop.\(zone)": "dns", "blog.\(zone)": "admin@\(zone)"],
                ])
            #expect(bigger.data["cost"] as? Double == 59, "\(bigger.text)")
            let repeated = try await client.call(
                "certificate/reissue",
                [
                    "unique_id": "r3", "service_id": serviceID,
                    "domain_dcv": ["www.\(zone)": "dns", "shop.\(zone)": "dns", "blog.\(zone)": "admin@\(zone)"],
                ])
            #expect(repeated.data["cost"] as? Double == 59)
            #expect(try await signet.balance() == Money(cents: 100_000 - 11_800 - 5_900))
            let email = (bigger.data["dcv"] as? [String: [String: Any]])?["blog.\(zone)"]?["email"] as? [String: Any]
            #expect(email?["address"] as? String == "admin@\(zone)")
            #expect((email?["available"] as? [String])?.count == 10)
        }
    }

    @Test("add-san, remove-san and refund move money through the ledger; a refund cannot repeat")
    func money() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let client = try await Self.start(signet)
            let created = try await client.call(
                "certificate/create",
                Self.createBody(
                    zone: zone, csr: try TestData.csr(commonName: "www.\(zone)"),
                    choices: ["www.\(zone)": "dns", "api.\(zone)": "dns"]))
            let serviceID = try #require(created.data["service_id"] as? String)
            let added = try await client.call("certificate/add-san", ["service_id": serviceID, "san": 2])
            #expect(added.data["cost"] as? Double == 118, "\(added.text)")
            #expect(try await signet.balance() == Money(cents: 100_000 - 23_600))
            // Six purchases at once: each one that succeeds is charged once, none is lost.
            let bought = try await client.burst("certificate/add-san", ["service_id": serviceID, "san": 1], count: 6)
                .filter(\.success).count
            #expect(bought >= 1, "at least the first of concurrent purchases succeeds")
            let extra = Int64(bought) * 5_900
            #expect(try await signet.balance() == Money(cents: 100_000 - 23_600 - extra))
            let removed = try await client.call("certificate/remove-san", ["service_id": serviceID, "domain": "api.\(zone)"])
            #expect(removed.success, "\(removed.text)")
            #expect(removed.data["status"] as? String == "refunded", "reseller.md 5.4: \(removed.text)")
            #expect(try await signet.balance() == Money(cents: 100_000 - 17_700 - extra))
            let detail = try await client.call("certificate/detail", method: "GET", ["service_id": serviceID])
            #expect((detail.data["dcv"] as? [String: Any])?.keys.sorted() == ["www.\(zone)"])
            let refunds = try await client.burst("certificate/refund", ["service_id": serviceID], count: 4)
            #expect(refunds.filter(\.success).count == 1, "\(refunds.map(\.text))")
            #expect(refunds.first(where: \.success)?.data["status"] as? String == "refunded")
            #expect(try await signet.balance() == Money(cents: 100_000))
            #expect(try await signet.store.read { try $0.ledgerSum() } == Money(cents: 100_000))
            #expect(
                try await client.call("certificate/detail", method: "GET", ["service_id": serviceID]).data["status"] as? String
                    == "refunded")
            #expect(try await client.call("certificate/refund", ["service_id": serviceID]).status == 400)

            let poor = try await client.call(
                "certificate/create",
                Self.createBody(zone: zone, csr: try TestData.csr(), uniqueID: "u-big").merging([
                    "product_id": "ssl_dv_geotrust", "period": "triennially",
                    "domain_dcv": Dictionary(uniqueKeysWithValues: (1...200).map { ("n\($0).\(zone)", "dns") }),
                ]) { $1 })
            #expect(poor.status == 200)
            #expect(!poor.success)
            #expect(poor.message == "INSUFFICIENT_BALANCE")
        }
    }

    @Test("notify_url: a receiver that fails twice gets the signed callback after retries, across a restart of Signet")
    func callbacks() async throws {
        let zone = TestDNS.uniqueZone()
        let setup: (inout SignetConfiguration) -> Void = {
            $0.allowPrivateTargets = true; $0.callbackRetryBase = 0.3
        }
        let first = try await TestSignet.start(configure: setup)
        let client = try await Self.start(first)
        let receiver = try await CallbackReceiver(secret: client.secret, failFirst: 2)
        defer { receiver.stop() }
        try await first.administration.validateDomain(name: zone)
        var body = Self.createBody(zone: zone, csr: try TestData.csr())
        body["notify_url"] = receiver.url
        let created = try await client.call("certificate/create", body)
        #expect(created.data["status"] as? String == "issued", "\(created.text)")
        let serviceID = try #require(created.data["service_id"] as? String)
        for _ in 0..<100 where receiver.calls.count < 2 { try await Task.sleep(nanoseconds: 100_000_000) }
        #expect(receiver.calls.count == 2)
        #expect(receiver.calls.allSatisfy { $0["accepted"] as? Bool == false })
        let directory = first.directory
        try await first.stop(removingData: false)

        let second = try await TestSignet.start(directory: directory, configure: setup)
        try await Tools.eventually(within: 30) { receiver.calls.contains(where: { $0["accepted"] as? Bool == true }) }
        let delivered = try #require(receiver.calls.first { $0["accepted"] as? Bool == true }, "\(receiver.calls)")
        #expect(delivered["verified"] as? Bool == true, "the receiver verifies the signature with its own code")
        #expect(delivered["event"] as? String == "certificate.issued")
        #expect(delivered["status"] as? String == "issued")
        #expect(delivered["service_id"] as? String == serviceID)
        #expect(receiver.calls.allSatisfy { $0["verified"] as? Bool == true })

        let reopened = ResellerClient(base: try await second.listen(), accessKey: client.accessKey, secret: client.secret)
        let detail = try await reopened.call("certificate/detail", method: "GET", ["service_id": serviceID])
        let attempts = try #require(detail.data["callbacks"] as? [[String: Any]])
        #expect(attempts.first?["attempts"] as? Int == 3)
        #expect(attempts.first?["delivered_at"] is String)
        #expect(attempts.first?["last_status"] as? Int == 200)
        let refund = try await reopened.call("certificate/refund", ["service_id": serviceID])
        #expect(refund.success)
        try await Tools.eventually(within: 30) { receiver.calls.contains(where: { $0["event"] as? String == "refunded" }) }
        #expect(receiver.calls.contains { $0["event"] as? String == "refunded" && $0["status"] as? String == "refunded" })
        try await second.stop()
    }
}
