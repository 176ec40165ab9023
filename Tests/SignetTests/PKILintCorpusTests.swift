import Foundation
import SignetCore
import SignetPKI
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Every product Signet sells, with both CSR key types, under both issuing key types, and with odd
/// organization and subject inputs, is either issued and passes pkilint with no error and only the
/// warnings a DigiCert leaf also has, or is refused by Signet's own checks with a 400 naming the field.
@Suite("pkilint corpus")
struct PKILintCorpusTests {
    /// The only warnings a certificate may carry: those a real DigiCert leaf carries too (docs/pki.md).
    static let allowedWarnings = [
        // BR 7.1.2.7.2-4, EVG: commonName NOT RECOMMENDED; every DigiCert TLS leaf carries one.
        "cabf.serverauth.dv.common_name_attribute_present", "cabf.serverauth.ov.common_name_attribute_present",
        "cabf.ev_guidelines.common_name_attribute_present",
        // BR 7.1.2.7.6: subjectKeyIdentifier NOT RECOMMENDED; DigiCert's leaves carry one.
        "cabf.serverauth.subscriber.subject_key_identifier_extension_present",
    ]

    struct Case {
        let label: String
        let product: String
        let body: [String: Any]
        /// `nil` when it must be issued; otherwise the error codes Signet may refuse it with (when the
        /// organization is created, or when the order is placed).
        let refusal: [String]?
    }

    static func organization(_ changes: [String: Any?] = [:]) -> [String: Any] {
        var organization = TestData.organization()
        for (key, value) in changes { organization[key] = value }
        return organization
    }

    /// An order body for `product` with a CSR of `key`, valid for its profile.
    static func body(_ product: Product, key: TestData.KeyKind, organization: [String: Any]?) throws -> [String: Any] {
        var certificate: [String: Any] = ["signature_hash": "sha256"]
        switch product.kind {
        case .tls:
            let commonName = product.wildcardOnly ? "*.example.com" : "www.example.com"
            certificate["common_name"] = commonName
            certificate["dns_names"] =
                product.additionalNamesAllowed && !product.wildcardOnly ? ["example.com", "api.example.com"] : []
            certificate["csr"] = try TestData.csr(key, commonName: commonName)
        case .client:
            if product.isSMIME && product.validationLevel == .dv {
                certificate["common_name"] = "jean.vanberg@example.com"
            } else {
                certificate["common_name"] = "Jean van Berg"
                certificate["first_name"] = "Jean"
                certificate["last_name"] = "van Berg"
            }
            certificate["emails"] = ["jean.vanberg@example.com", "jvb+certs@example.com"]
            certificate["organization_units"] = ["Accounting"]
            certificate["csr"] = try TestData.csr(key, commonName: "Jean van Berg")
        }
        var body: [String: Any] = ["certificate": certificate, "validity_years": 1, "skip_approval": true]
        if product.validationLevel.needsOrganization, let organization { body["organization"] = organization }
        return body
    }

    static func cases() throws -> [Case] {
        var cases: [Case] = []
        for product in ProductCatalog.all {
            for key in [TestData.KeyKind.p256, .rsa2048] {
                cases.append(
                    Case(
                        label: "\(product.nameID) \(key)", product: product.nameID,
                        body: try body(product, key: key, organization: organization()), refusal: nil))
            }
        }
        // Odd but valid organizations and people.
        let odd: [(String, [String: Any?])] = [
            (
                "unicode organization",
                ["name": "Société Générale Ünïcode Aktiengesellschaft", "city": "Zürich", "state": "Zürich"]
            ),
            ("64-character organization", ["name": String(repeating: "Organisation ", count: 5).prefix(64).trimmingWhitespace()]),
            ("punctuated registration number", ["registration_number": "HRB 12345 (Berlin)/A-7"]),
            ("state, no city", ["city": nil]),
            ("city, no state", ["state": nil]),
            ("apostrophe", ["name": "O'Brien & Daughters Ltd."]),
            ("Government Entity", ["business_category": "Government Entity"]),
            ("Business Entity", ["business_category": "Business Entity"]),
            ("Non-Commercial Entity", ["business_category": "Non-Commercial Entity"]),
        ]
        for (label, changes) in odd {
            for product in ["ssl_ev_basic", "ssl_basic", "client_premium_sha2"] {
                guard let found = ProductCatalog.product(nameID: product) else { continue }
                cases.append(
                    Case(
                        label: "\(product) \(label)", product: product,
                        body: try body(found, key: .p256, organization: organization(changes)), refusal: nil))
            }
        }
        // What a subject cannot hold: refused by Signet's own checks, naming the field.
        let refused: [(String, String, [String: Any?], String)] = [
            ("UK is not a country code", "ssl_basic", ["country": "uk"], "country"),
            ("OV without locality or state", "ssl_basic", ["city": nil, "state": nil], "city"),
            (
                "EV business category outside the Guidelines", "ssl_ev_basic", ["business_category": "Corporation"],
                "business_category"
            ),
            ("registration number with # & _", "ssl_ev_basic", ["registration_number": "#1&2_3"], "registration_number"),
        ]
        for (label, product, changes, field) in refused {
            guard let found = ProductCatalog.product(nameID: product) else { continue }
            cases.append(
                Case(
                    label: label, product: product, body: try body(found, key: .p256, organization: organization(changes)),
                    refusal: ["invalid_value:\(field)", "invalid_value:organization.\(field)"]))
        }
        guard let mailbox = ProductCatalog.product(nameID: "client_email_security_plus"),
            let sponsored = ProductCatalog.product(nameID: "client_premium_sha2")
        else { return cases }
        var named = try body(mailbox, key: .p256, organization: nil)
        named["certificate"] = (named["certificate"] as? [String: Any] ?? [:]).merging(["common_name": "Jean van Berg"]) { $1 }
        // A personal name a subject cannot carry gives way to the mailbox (docs/pki.md, seed 001 as printed).
        cases.append(Case(label: "mailbox-validated with a personal name", product: mailbox.nameID, body: named, refusal: nil))
        var unnamed = try body(sponsored, key: .p256, organization: organization())
        unnamed["certificate"] = (unnamed["certificate"] as? [String: Any] ?? [:]).merging([
            "first_name": NSNull(), "last_name": NSNull(),
        ]) { $1 }
        cases.append(
            Case(
                label: "personal name without first and last names: organization-validated", product: sponsored.nameID,
                body: unnamed, refusal: nil))
        var mismatched = try body(sponsored, key: .p256, organization: organization())
        mismatched["certificate"] = (mismatched["certificate"] as? [String: Any] ?? [:]).merging([
            "common_name": "Someone Else"
        ]) { $1 }
        cases.append(
            Case(
                label: "a common name that is neither the person nor a mailbox", product: sponsored.nameID, body: mismatched,
                refusal: ["invalid_value:certificate.common_name"]))
        return cases
    }

    @Test(
        "Every product, both CSR keys and odd subjects: issued and lint-clean, or refused by Signet",
        arguments: [IssuingKeyType.p256, .rsa2048])
    func corpus(keyType: IssuingKeyType) async throws {
        try await withSignet(dcv: .alwaysValid, keyType: keyType) { signet in
            _ = try await signet.administration.addBalance("1000000.00")
            var documents: [PKIJudge.Document] = []
            for testCase in try Self.cases() {
                var body = testCase.body
                if let organization = body["organization"] as? [String: Any] {
                    let created = try await signet.call(.POST, "organization", json: organization)
                    if let refusal = testCase.refusal, created.status == .badRequest {
                        #expect(refusal.contains(created.errorCode ?? ""), "\(testCase.label): \(created.text)")
                        continue
                    }
                    let id = try #require(created.json["id"] as? Int, "\(testCase.label): \(created.text)")
                    try await signet.administration.validateOrganization(
                        id: id, level: testCase.product.contains("_ev_") ? .ev : .ov)
                    body["organization"] = ["id": id]
                }
                let before = try await signet.orderCount()
                let response = try await signet.call(.POST, "order/certificate/\(testCase.product)", json: body)
                if let refusal = testCase.refusal {
                    #expect(
                        response.status == .badRequest && refusal.contains(response.errorCode ?? ""),
                        "\(testCase.label): \(response.text)")
                    #expect(try await signet.orderCount() == before, "\(testCase.label): a refused order was stored")
                    continue
                }
                let chain = try #require(
                    response.json["certificate_chain"] as? [[String: Any]], "\(testCase.label): \(response.text)")
                let leaf = try #require(chain.first?["pem"] as? String)
                let (linter, arguments) = PKIJudge.linter(forProduct: testCase.product)
                documents.append(
                    PKIJudge.Document(linter: linter, arguments: arguments, contents: Data(leaf.utf8), label: testCase.label))
            }
            #expect(documents.count >= 60)
            for report in try await PKIJudge.judge(documents) {
                #expect(report.errors.isEmpty, "\(keyType) \(report.label): \(report.errors)")
                let unexpected = report.warnings.filter { warning in !Self.allowedWarnings.contains { warning.contains($0) } }
                #expect(unexpected.isEmpty, "\(keyType) \(report.label): \(unexpected)")
            }
        }
    }
}
