import Foundation
import SignetCore
import Testing
import Vapor

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Every malformed request gets a 4xx in CertCentral's format, changes nothing, and the server keeps serving.
@Suite("Bad input")
struct BadInputTests {
    struct Case {
        let name: String
        let product: String
        let body: Body
        let status: UInt
        let code: String

        enum Body {
            case raw(String)
            case edit(@Sendable (inout [String: Any], inout [String: Any]) -> Void)
        }
    }

    static func cases(csr: String, weak: [String: String]) -> [Case] {
        func edit(_ change: @escaping @Sendable (inout [String: Any], inout [String: Any]) -> Void) -> Case.Body { .edit(change) }
        return [
            Case(
                name: "truncated JSON", product: "ssl_basic", body: .raw("{\"certificate\":"), status: 400,
                code: "bad_request_format"),
            Case(name: "a JSON array", product: "ssl_basic", body: .raw("[]"), status: 400, code: "bad_request_format"),
            Case(name: "an empty body", product: "ssl_basic", body: .raw(""), status: 400, code: "bad_request_format"),
            Case(
                name: "unknown product", product: "ssl_platinum", body: edit { _, _ in }, status: 404, code: "not_found|product"),
            Case(
                name: "no certificate", product: "ssl_basic", body: edit { body, _ in body["certificate"] = nil },
                status: 400, code: "missing_field:certificate"),
            Case(
                name: "no common name", product: "ssl_basic", body: edit { _, c in c["common_name"] = nil },
                status: 400, code: "missing_field:certificate.common_name"),
            Case(
                name: "no CSR", product: "ssl_basic", body: edit { _, c in c["csr"] = nil },
                status: 400, code: "missing_field:certificate.csr"),
            Case(
                name: "no hash", product: "ssl_basic", body: edit { _, c in c["signature_hash"] = nil },
                status: 400, code: "missing_field:certificate.signature_hash"),
            Case(
                name: "no validity", product: "ssl_basic", body: edit { body, _ in body["validity_years"] = nil },
                status: 400, code: "missing_field:order_validity"),
            Case(
                name: "no organization on OV", product: "ssl_basic", body: edit { body, _ in body["organization"] = nil },
                status: 400, code: "missing_field:organization"),
            Case(
                name: "CSR not base64", product: "ssl_basic", body: edit { _, c in c["csr"] = "not a csr!" },
                status: 400, code: "csr_invalid_cannot_parse"),
            Case(
                name: "CSR is a certificate", product: "ssl_basic",
                body: edit { _, c in c["csr"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" },
                status: 400, code: "csr_invalid_cannot_parse"),
            Case(
                name: "CSR of random DER", product: "ssl_basic",
                body: edit { _, c in c["csr"] = "-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQA=\n-----END CERTIFICATE REQUEST-----"
                },
                status: 400, code: "csr_invalid_cannot_parse"),
            Case(
                name: "CSR signature broken", product: "ssl_basic", body: edit { _, c in c["csr"] = weak["tampered"] },
                status: 400, code: "csr_invalid_signature"),
            Case(
                name: "RSA 1024", product: "ssl_basic", body: edit { _, c in c["csr"] = weak["rsa1024"] },
                status: 400, code: "csr_invalid_key_size"),
            Case(
                name: "RSA 2047", product: "ssl_basic", body: edit { _, c in c["csr"] = weak["rsa2047"] },
                status: 400, code: "csr_invalid_key_size"),
            Case(
                name: "RSA 8200", product: "ssl_basic", body: edit { _, c in c["csr"] = weak["rsa8200"] },
                status: 400, code: "csr_invalid_key_size"),
            Case(
                name: "P-521", product: "ssl_basic", body: edit { _, c in c["csr"] = weak["p521"] },
                status: 400, code: "csr_invalid_curve"),
            Case(
                name: "Ed25519", product: "ssl_basic", body: edit { _, c in c["csr"] = weak["ed25519"] },
                status: 400, code: "csr_invalid_key_type"),
            Case(
                name: "space in a name", product: "ssl_basic", body: edit { _, c in c["common_name"] = "exa mple.com" },
                status: 400, code: "invalid_dns_name|exa mple.com"),
            Case(
                name: "underscore in a SAN", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["_dmarc.example.com"] },
                status: 400, code: "invalid_dns_name|_dmarc.example.com"),
            Case(
                name: "localhost", product: "ssl_basic", body: edit { _, c in c["common_name"] = "localhost" },
                status: 400, code: "invalid_dns_name|localhost"),
            Case(
                name: "reserved .local", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["printer.local"] },
                status: 400, code: "invalid_dns_name|printer.local"),
            Case(
                name: "wildcard on EV", product: "ssl_ev_basic", body: edit { _, c in c["dns_names"] = ["*.example.com"] },
                status: 400, code: "wildcard_not_allowed|*.example.com"),
            Case(
                name: "IP address", product: "ssl_basic", body: edit { _, c in c["common_name"] = "192.0.2.10" },
                status: 400, code: "ip_address_not_allowed|192.0.2.10"),
            Case(
                name: "extra name on a single-name product", product: "ssl_plus",
                body: edit { _, c in c["dns_names"] = ["other.example.com"] },
                status: 400, code: "additional_names_not_allowed|other.example.com"),
            Case(
                name: "251 names", product: "ssl_basic",
                body: edit { _, c in c["dns_names"] = (1...250).map { "n\($0).example.com" } },
                status: 400, code: "too_many_names"),
            Case(
                name: "common name over 64 characters", product: "ssl_basic",
                body: edit { _, c in c["common_name"] = String(repeating: "a", count: 60) + ".example.com" },
                status: 400, code: "invalid_value:certificate.common_name"),
            Case(
                name: "sha1", product: "ssl_basic", body: edit { _, c in c["signature_hash"] = "sha1" },
                status: 400, code: "invalid_value:signature_hash"),
            Case(
                name: "unknown profile option", product: "ssl_basic", body: edit { _, c in c["profile_option"] = "code_signing" },
                status: 400, code: "invalid_value:certificate.profile_option"),
            Case(
                name: "four years", product: "ssl_basic", body: edit { body, _ in body["validity_years"] = 4 },
                status: 400, code: "invalid_value:validity_years"),
            Case(
                name: "zero days", product: "ssl_basic", body: edit { body, _ in body["validity_days"] = 0 },
                status: 400, code: "invalid_value:validity_days"),
            Case(
                name: "expiry in the past", product: "ssl_basic",
                body: edit { body, _ in body["custom_expiration_date"] = "2001-01-01" },
                status: 400, code: "invalid_value:custom_expiration_date"),
            Case(
                name: "impossible date", product: "ssl_basic",
                body: edit { body, _ in body["order_validity"] = ["custom_expiration_date": "2027-02-30"] },
                status: 400, code: "invalid_value:order_validity.custom_expiration_date"),
            Case(
                name: "certificate longer than order", product: "ssl_basic",
                body: edit { body, c in
                    body["validity_years"] = 1; c["cert_validity"] = ["years": 2]
                },
                status: 400, code: "cert_validity_exceeds_order_validity"),
            Case(
                name: "unknown organization", product: "ssl_basic",
                body: edit { body, _ in body["organization"] = ["id": 9999] }, status: 404, code: "not_found|organization"),
            Case(
                name: "unknown container", product: "ssl_basic",
                body: edit { body, _ in body["container"] = ["id": 9999] }, status: 404, code: "not_found|container"),
            Case(
                name: "unknown contact user", product: "ssl_basic",
                body: edit { body, _ in
                    body["organization"] = ["id": 1, "contacts": [["contact_type": "technical_contact", "user_id": 9999]]]
                }, status: 400, code: "invalid_value:organization.contacts.user_id"),
            Case(
                name: "contact without a name", product: "ssl_basic",
                body: edit { body, _ in
                    body["organization"] = [
                        "id": 1, "contacts": [["contact_type": "technical_contact", "email": "a@example.com"]],
                    ]
                }, status: 400, code: "missing_field:organization.contacts.first_name"),
            Case(
                name: "unknown contact type", product: "ssl_basic",
                body: edit { body, _ in body["organization"] = ["id": 1, "contacts": [["contact_type": "boss", "user_id": 1]]] },
                status: 400, code: "invalid_value:organization.contacts.contact_type"),
            Case(
                name: "dns_names is a number", product: "ssl_basic", body: edit { _, c in c["dns_names"] = 42 },
                status: 400, code: "invalid_value:certificate.dns_names"),
            Case(
                name: "skip_approval is not a boolean", product: "ssl_basic",
                body: edit { body, _ in body["skip_approval"] = "maybe" },
                status: 400, code: "invalid_value:skip_approval"),
            Case(
                name: "negative auto_renew", product: "ssl_basic", body: edit { body, _ in body["auto_renew"] = -1 },
                status: 400, code: "invalid_value:auto_renew"),
            Case(
                name: "card payment", product: "ssl_basic", body: edit { body, _ in body["payment_method"] = "card" },
                status: 400, code: "invalid_value:payment_method"),
            Case(
                name: "unknown DCV method", product: "ssl_basic", body: edit { body, _ in body["dcv_method"] = "carrier-pigeon" },
                status: 400, code: "invalid_value:dcv_method"),
            Case(
                name: "client certificate without e-mails", product: "client_premium",
                body: edit { _, c in
                    c["common_name"] = "Lock Cole"; c["first_name"] = "Lock"; c["last_name"] = "Cole"; c["dns_names"] = nil
                }, status: 400, code: "missing_field:certificate.emails"),
            Case(
                name: "client certificate with a bad e-mail", product: "client_premium",
                body: edit { _, c in
                    c["common_name"] = "Lock Cole"; c["first_name"] = "Lock"; c["last_name"] = "Cole"; c["dns_names"] = nil;
                    c["emails"] = ["not-an-email"]
                }, status: 400, code: "invalid_email|not-an-email"),
            Case(
                name: "client certificate with SHA-384", product: "client_premium",
                body: edit { _, c in
                    c["common_name"] = "Lock Cole"; c["first_name"] = "Lock"; c["last_name"] = "Cole"; c["dns_names"] = nil;
                    c["emails"] = ["a@example.com"]; c["signature_hash"] = "sha384"
                }, status: 400, code: "invalid_value:signature_hash"),
            Case(
                name: "client certificate without a CSR", product: "client_premium",
                body: edit { _, c in
                    c["common_name"] = "Lock Cole"; c["first_name"] = "Lock"; c["last_name"] = "Cole"; c["dns_names"] = nil;
                    c["emails"] = ["a@example.com"]; c["csr"] = nil
                }, status: 400, code: "missing_field:certificate.csr"),
            // Names that must not be issued: a fake A-label, internal and reserved names, a wildcard over a public suffix.
            Case(
                name: "invalid punycode", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["xn--zz.example.com"] },
                status: 400, code: "invalid_dns_name|xn--zz.example.com"),
            Case(
                name: "an emoji A-label", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["xn--ls8h.com"] },
                status: 400, code: "invalid_dns_name|xn--ls8h.com"),
            Case(
                name: "an .internal name", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["db.internal"] },
                status: 400, code: "invalid_dns_name|db.internal"),
            Case(
                name: "a .test name", product: "ssl_basic", body: edit { _, c in c["common_name"] = "shop.test" },
                status: 400, code: "invalid_dns_name|shop.test"),
            Case(
                name: "a .corp name", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["mail.corp"] },
                status: 400, code: "invalid_dns_name|mail.corp"),
            Case(
                name: "an .onion name", product: "ssl_basic",
                body: edit { _, c in c["dns_names"] = ["duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"] },
                status: 400, code: "invalid_dns_name|duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"),
            Case(
                name: "a TLD nobody delegated", product: "ssl_basic",
                body: edit { _, c in c["dns_names"] = ["www.example.notatld"] },
                status: 400, code: "invalid_dns_name|www.example.notatld"),
            Case(
                name: "a wildcard directly under co.uk", product: "ssl_basic",
                body: edit { _, c in c["dns_names"] = ["*.co.uk"] },
                status: 400, code: "invalid_dns_name|*.co.uk"),
            Case(
                name: "a public suffix", product: "ssl_basic", body: edit { _, c in c["dns_names"] = ["co.uk"] },
                status: 400, code: "invalid_dns_name|co.uk"),
            // Text that reaches subjects: no bidirectional overrides or other non-printables.
            Case(
                name: "a right-to-left override in a department", product: "ssl_basic",
                body: edit { _, c in c["organization_units"] = ["Sales\u{202E}evil"] },
                status: 400, code: "invalid_value:certificate.organization_units"),
            Case(
                name: "a right-to-left override in a client name", product: "client_premium",
                body: edit { _, c in
                    c["common_name"] = "Lock \u{202E}eloC"; c["dns_names"] = nil; c["emails"] = ["a@example.com"]
                }, status: 400, code: "invalid_value:certificate.common_name"),
            Case(
                name: "a zero-width joiner in a new organization's name", product: "ssl_basic",
                body: edit { body, _ in
                    var organization = TestData.organization(name: "Exam\u{200D}ple Inc")
                    organization["id"] = nil
                    body["organization"] = organization
                }, status: 400, code: "invalid_value:organization.name"),
            Case(
                name: "a newline in a new organization's city", product: "ssl_basic",
                body: edit { body, _ in
                    var organization = TestData.organization()
                    organization["city"] = "Lehi\nUT"
                    body["organization"] = organization
                }, status: 400, code: "invalid_value:organization.city"),
        ]
    }

    @Test("Malformed orders are refused with a precise CertCentral error and change nothing")
    func malformedOrders() async throws {
        let weak = await [
            "rsa1024": try Tools.opensslCSR(["-newkey", "rsa:1024"]),
            "rsa2047": try Tools.opensslCSR(["-newkey", "rsa:2047"]),
            "p521": try Tools.opensslCSR(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"]),
            "ed25519": try Tools.opensslCSR(["-newkey", "ed25519"]),
            "rsa8200": try TestData.fakeRSACSR(bits: 8200),
            "tampered": try TestData.tamperedCSR(),
        ]
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let csr = try TestData.csr()
            let before = try await signet.balance()
            for testCase in Self.cases(csr: csr, weak: weak) {
                let response: TestResponse
                switch testCase.body {
                case .raw(let text):
                    response = try await signet.call(.POST, "order/certificate/\(testCase.product)", rawBody: text)
                case .edit(let change):
                    var body = TestData.secureSiteOrder(csr: csr, organizationID: organizationID)
                    var certificate = body["certificate"] as! [String: Any]
                    change(&body, &certificate)
                    if body["certificate"] != nil { body["certificate"] = certificate }
                    response = try await signet.call(.POST, "order/certificate/\(testCase.product)", json: body)
                }
                #expect(response.status.code == testCase.status, "\(testCase.name): \(response.status) \(response.text)")
                #expect(response.errorCode == testCase.code, "\(testCase.name): \(response.text)")
                let message = ((response.json["errors"] as? [[String: Any]])?.first?["message"] as? String) ?? ""
                #expect(!message.isEmpty, "\(testCase.name) has no message")
            }
            #expect(try await signet.orderCount() == 0)
            #expect(try await signet.balance() == before)
            #expect(try await signet.call(.GET, "/healthz").status == .ok)
            #expect(
                try await signet.call(
                    .POST, "order/certificate/ssl_basic",
                    json: TestData.secureSiteOrder(csr: csr, organizationID: organizationID)
                ).status == .created)
        }
    }

    @Test("Not enough money: a clear 400 and nothing stored")
    func insufficientFunds() async throws {
        try await withSignet { signet in
            try await signet.administration.validateDomain(name: "example.com")
            let created = try await signet.call(.POST, "organization", json: TestData.organization())
            let organizationID = try #require(created.json["id"] as? Int)
            _ = try await signet.administration.addBalance("100.00")
            let response = try await signet.call(
                .POST, "order/certificate/ssl_securesite_pro",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "insufficient_funds")
            #expect(response.text.contains("only 100.00 is available"), "\(response.text)")
            #expect(try await signet.orderCount() == 0)
            #expect(try await signet.balance() == Money(cents: 10_000))
            #expect(try await signet.call(.GET, "organization").json["organizations"] as? [Any] != nil)
        }
    }

    @Test("Other endpoints refuse bad input in CertCentral's format")
    func otherEndpoints() async throws {
        try await withSignet { signet in
            let cases: [(HTTPMethodName, String, Any?, UInt, String)] = [
                (.put, "request/1/status", ["status": "maybe"], 400, "invalid_value:status"),
                (.put, "request/999/status", ["status": "approved"], 404, "not_found|request"),
                (.put, "request/abc/status", ["status": "approved"], 404, "not_found|request"),
                (.put, "request/1/status", nil, 400, "bad_request_format"),
                (.get, "request/999", nil, 404, "not_found|request"),
                (.get, "order/certificate/not-an-order", nil, 404, "not_found|order"),
                (.get, "order/certificate?filters[status]=bogus", nil, 400, "invalid_value:filters[status]"),
                (.get, "order/certificate?limit=0", nil, 400, "invalid_value:limit"),
                (.get, "order/certificate?offset=-1", nil, 400, "invalid_value:offset"),
                (.get, "order/certificate?limit=ten", nil, 400, "invalid_value:limit"),
                (.get, "order/certificate?sort=price", nil, 400, "invalid_value:sort"),
                (.get, "certificate/999", nil, 404, "not_found|certificate"),
                (.get, "certificate/999/download/format/pem_all", nil, 404, "not_found|certificate"),
                (.get, "certificate/download/order/999", nil, 404, "not_found|order"),
                (.get, "product/ssl_gold", nil, 404, "not_found|product"),
                (.get, "organization/999", nil, 404, "not_found|organization"),
                (.get, "container/999", nil, 404, "not_found|container"),
                (.post, "organization", ["country": "us"], 400, "missing_field:name"),
                (.post, "organization", ["name": "X", "country": "USA"], 400, "invalid_value:country"),
                (.post, "organization", ["name": String(repeating: "x", count: 65), "country": "us"], 400, "invalid_value:name"),
                (.delete, "order/certificate/1", nil, 404, "not_found|route"),
                (.get, "no/such/route", nil, 404, "not_found|route"),
            ]
            for (method, path, json, status, code) in cases {
                let response = try await signet.call(method.vapor, path, json: json)
                #expect(response.status.code == status, "\(path): \(response.text)")
                #expect(response.errorCode == code, "\(path): \(response.text)")
            }
        }
    }

    @Test("Missing, malformed and unknown API keys get 401 in CertCentral's format")
    func authentication() async throws {
        try await withSignet { signet in
            for key: String? in [nil, "", "short", String(repeating: "A", count: 52)] {
                let response = try await signet.call(.GET, "user/me", key: .some(key))
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "invalid_api_key")
            }
            #expect(try await signet.call(.GET, "user/me").status == .ok)
        }
    }
}

enum HTTPMethodName {
    case get, put, post, delete
    var vapor: HTTPMethod {
        switch self {
        case .get: return .GET
        case .put: return .PUT
        case .post: return .POST
        case .delete: return .DELETE
        }
    }
}
