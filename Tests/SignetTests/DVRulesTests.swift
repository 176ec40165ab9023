import Foundation
import SignetCore
import Testing

@testable import SignetTestSupport

/// DigiCert's rules for DV TLS certificates (docs/dcv.md): no validation reuse, no prevalidation,
/// one DCV method per order, no HTTP for wildcards or unique file names; OV and EV keep reusing.
@Suite("DV validation rules")
struct DVRulesTests {
    /// Publishes the order's random value at `_dnsauth.<name>` and checks the order now.
    static func validate(
        _ signet: TestSignet, orderID: Int, name: String, token: String
    ) async throws -> TestResponse {
        try await TestDNS.shared.add(["_dnsauth.\(name). TXT \(token)"])
        return try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
    }

    static func randomValue(_ signet: TestSignet, _ orderID: Int) async throws -> String {
        let info = try await signet.call(.GET, "order/certificate/\(orderID)")
        return try #require(info.json["dcv_random_value"] as? String, "\(info.text)")
    }

    @Test("A prevalidated domain does not issue a DV order; its own check does; reissue and renewal validate again")
    func dvValidatesEveryOrder() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            // Prevalidated: the domain and every name under it count for OV orders of the container.
            try await signet.administration.validateDomain(name: zone)

            var body = TestData.secureSiteOrder(
                csr: try TestData.csr(commonName: "www.\(zone)"), organizationID: organizationID, commonName: "www.\(zone)",
                dnsNames: [])
            body["organization"] = nil
            body["dcv_method"] = "dns-txt-token"
            let placed = try await signet.call(.POST, "order/certificate/ssl_dv_geotrust", json: body)
            #expect(placed.status == .created, "\(placed.text)")
            let orderID = try #require(placed.json["id"] as? Int)
            #expect(placed.json["certificate_chain"] == nil, "a DV order waits for its own validation")
            #expect(try await DCVTests.status(signet, orderID) == "pending")
            let token = try #require(placed.json["dcv_random_value"] as? String)
            let checked = try await Self.validate(signet, orderID: orderID, name: "www.\(zone)", token: token)
            #expect(checked.json["order_status"] as? String == "issued", "\(checked.text)")

            // A reissue: a new random value, and the name waits again.
            let reissue = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue",
                json: [
                    "certificate": [
                        "common_name": "www.\(zone)", "csr": try TestData.csr(commonName: "www.\(zone)"),
                        "signature_hash": "sha256",
                    ],
                    "skip_approval": true,
                ])
            #expect(reissue.status == .created, "\(reissue.text)")
            #expect(reissue.json["certificate_chain"] == nil, "a DV reissue validates again: \(reissue.text)")
            #expect(try await DCVTests.status(signet, orderID) == "reissue_pending")
            let reissueToken = try await Self.randomValue(signet, orderID)
            #expect(reissueToken != token)
            let revalidated = try await Self.validate(signet, orderID: orderID, name: "www.\(zone)", token: reissueToken)
            #expect(revalidated.json["order_status"] as? String == "issued", "\(revalidated.text)")

            // A renewal is a new order: it validates again too, although both records are in place.
            body["renewal_of_order_id"] = orderID
            body["certificate"] = (body["certificate"] as? [String: Any] ?? [:]).merging([
                "csr": try TestData.csr(commonName: "www.\(zone)")
            ]) { $1 }
            let renewal = try await signet.call(.POST, "order/certificate/ssl_dv_geotrust", json: body)
            #expect(renewal.status == .created, "\(renewal.text)")
            let renewalID = try #require(renewal.json["id"] as? Int)
            #expect(renewal.json["certificate_chain"] == nil)
            #expect(try await DCVTests.status(signet, renewalID) == "pending")
            let renewalToken = try #require(renewal.json["dcv_random_value"] as? String)
            let renewed = try await Self.validate(signet, orderID: renewalID, name: "www.\(zone)", token: renewalToken)
            #expect(renewed.json["order_status"] as? String == "issued", "\(renewed.text)")

            // The DV checks added no validation to the container: an OV order still needs its domain's.
            let domains = try #require(try await signet.call(.GET, "domain").json["domains"] as? [[String: Any]])
            #expect(!domains.contains { ($0["name"] as? String)?.hasSuffix("www.\(zone)") == true }, "\(domains)")
        }
    }

    @Test("OV orders reuse a current validation: order and reissue are issued within the request")
    func ovReuses() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [zone])
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(
                    csr: try TestData.csr(), organizationID: organizationID, commonName: "www.\(zone)", dnsNames: []))
            #expect(placed.json["certificate_chain"] != nil, "\(placed.text)")
            let orderID = try #require(placed.json["id"] as? Int)
            let reissue = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue",
                json: [
                    "certificate": ["common_name": "www.\(zone)", "csr": try TestData.csr(), "signature_hash": "sha256"],
                    "skip_approval": true,
                ])
            #expect(reissue.json["certificate_chain"] != nil, "\(reissue.text)")
        }
    }

    @Test("DCV methods a DV order cannot take: HTTP for a wildcard, the unique-filename variant")
    func refusedMethods() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            for (product, name, method) in [
                ("wildcard_dv_geotrust", "*.example.com", "http-token"),
                ("ssl_dv_geotrust", "www.example.com", "http-token-dynamic"),
            ] {
                var body = TestData.secureSiteOrder(
                    csr: try TestData.csr(), organizationID: organizationID, commonName: name, dnsNames: [])
                body["organization"] = nil
                body["dcv_method"] = method
                let before = try await signet.orderCount()
                let refused = try await signet.call(.POST, "order/certificate/\(product)", json: body)
                #expect(refused.status == .badRequest && refused.errorCode == "invalid_dcv_method", "\(method): \(refused.text)")
                #expect(try await signet.orderCount() == before)
            }
        }
    }

    @Test("One method per DV order: per-name methods are refused for CertCentral's DV, kept for OV and the reseller")
    func oneMethodPerOrder() throws {
        var submission = OrderSubmission(productNameID: "ssl_dv_geotrust")
        submission.commonName = "www.example.com"
        submission.dnsNames = ["api.example.com"]
        submission.csr = "-----BEGIN CERTIFICATE REQUEST-----"
        submission.signatureHash = "sha256"
        submission.legacyValidity = ValidityRequest(years: 1, fieldPrefix: "")
        submission.dcvMethodsByName = ["www.example.com": "dns-txt-token", "api.example.com": "http-token"]
        #expect(throws: OrderRuleError.dcvMethodsMixed(["dns-txt-token", "http-token"])) {
            try OrderRules.plan(submission, now: Date())
        }
        // http and https file validation are one method.
        submission.dcvMethodsByName = ["www.example.com": "http", "api.example.com": "https"]
        #expect(throws: Never.self) { try OrderRules.plan(submission, now: Date()) }
        // The reseller dialect (seed 004) gives each name its own method.
        submission.dcvMethodsByName = ["www.example.com": "dns", "api.example.com": "http"]
        submission.origin = .reseller
        #expect(throws: Never.self) { try OrderRules.plan(submission, now: Date()) }
        #expect(DCVScope(product: try #require(ProductCatalog.product(nameID: "ssl_basic")), origin: .certCentral) == .container)
    }
}
