import Foundation
import SignetCore
import SignetStore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Orders as seeds 001 and 003 place them, through to certificates that openssl accepts.
@Suite("Order flow")
struct OrderFlowTests {
    /// The chain of a 201 answer, checked by `openssl verify`.
    static func verifyChain(_ response: TestResponse, purpose: String = "sslserver") async throws -> [String] {
        let chain = try #require(response.json["certificate_chain"] as? [[String: Any]], "no chain in \(response.text)")
        #expect(chain.count == 3)
        let pems = chain.compactMap { $0["pem"] as? String }
        let verdict = try await Tools.verify(leaf: pems[0], intermediate: pems[1], root: pems[2], purpose: purpose)
        #expect(verdict.status == 0, "openssl verify: \(verdict.output) \(verdict.error)")
        #expect(verdict.output.contains("OK"))
        return pems
    }

    @Test("Seed 003: ssl_securesite_pro with skip_approval issues at once; openssl verifies the chain")
    func secureSiteProIssuesImmediately() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let before = try await signet.balance()
            let csr = try TestData.csr(.p256)
            let response = try await signet.call(
                .POST, "order/certificate/ssl_securesite_pro",
                json: TestData.secureSiteOrder(csr: csr, organizationID: organizationID))
            #expect(response.status == .created, "\(response.text)")
            let orderID = try #require(response.json["id"] as? Int)
            #expect(response.json["certificate_id"] is Int)
            // Seed 001's third answer: the request that the order skipped is reported approved.
            let requests = try #require(response.json["requests"] as? [[String: Any]], "\(response.text)")
            #expect(requests.count == 1 && requests[0]["status"] as? String == "approved", "\(requests)")
            let pems = try await Self.verifyChain(response)
            let chain = response.json["certificate_chain"] as! [[String: Any]]
            #expect(chain[0]["subject_common_name"] as? String == "example.com")

            let text = try await Tools.describe(pems[0])
            #expect(text.contains("DNS:example.com, DNS:sub.example.com, DNS:app.example.com"))
            #expect(text.contains("O = Example Inc"))
            #expect(text.contains("2.23.140.1.2.2"))
            #expect(text.contains("TLS Web Server Authentication"))
            #expect(text.contains("URI:http://pki.signet-test.com/crl/"))
            #expect(text.contains("OCSP - URI:http://pki.signet-test.com/ocsp"))
            #expect(!text.contains("Shared Services"), "OU must not appear in public TLS certificates")

            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(info.status == .ok)
            #expect(info.json["status"] as? String == "issued")
            #expect(info.json["validity_years"] as? Int == 2)
            #expect((info.json["product"] as? [String: Any])?["name_id"] as? String == "ssl_securesite_pro")
            let certificate = try #require(info.json["certificate"] as? [String: Any])
            #expect((certificate["serial_number"] as? String)?.count == 32)
            #expect((certificate["thumbprint"] as? String)?.count == 40)
            #expect(certificate["key_size"] as? Int == 256)
            #expect((info.json["technical_contact"] as? [String: Any])?["email"] as? String == "jill.valentine@digicert.com")

            let price = try #require(info.json["price"] as? Double)
            #expect(price == (995 + 2 * 199) * 2)
            let after = try await signet.balance()
            #expect(before - after == Money(cents: Int64(price * 100)))
            let ledger = try await signet.store.read { try $0.ledgerSum() }
            #expect(ledger == after)
        }
    }

    @Test("Seed 001: a client certificate waits for approval, is approved by a manager and issued")
    func clientCertificateApproval() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (userKey, _) = try await signet.administration.createAPIKey(role: .user, name: "orders")
            let (managerKey, _) = try await signet.administration.createAPIKey(role: .manager, name: "approver")
            let response = try await signet.call(
                .POST, "order/certificate/client_premium_sha2", key: userKey,
                json: TestData.clientOrder(
                    csr: try TestData.csr(.rsa2048, commonName: "Lock Cole"), organizationID: organizationID))
            #expect(response.status == .created, "\(response.text)")
            let orderID = try #require(response.json["id"] as? Int)
            let requests = try #require(response.json["requests"] as? [[String: Any]])
            #expect(requests.first?["status"] as? String == "pending")
            #expect(response.json["certificate_id"] == nil)
            let requestID = try #require(requests.first?["id"] as? Int)

            let waiting = try await signet.call(.GET, "order/certificate/\(orderID)", key: userKey)
            #expect(waiting.json["status"] as? String == "needs_approval")

            let denied = try await signet.call(
                .PUT, "request/\(requestID)/status", key: userKey, json: ["status": "approved"])
            #expect(denied.status == .forbidden)
            #expect(denied.errorCode == "access_denied|missing_permission")

            let pending = try await signet.call(.GET, "request?filters[status]=pending", key: managerKey)
            #expect((pending.json["requests"] as? [[String: Any]])?.map { $0["id"] as? Int } == [requestID])

            let approved = try await signet.call(
                .PUT, "request/\(requestID)/status", key: managerKey,
                json: ["status": "approved", "processor_comment": "ok"])
            #expect(approved.status == .noContent)
            #expect(approved.body.isEmpty)

            let issued = try await signet.call(.GET, "order/certificate/\(orderID)", key: userKey)
            #expect(issued.json["status"] as? String == "issued")
            let certificateID = try #require((issued.json["certificate"] as? [String: Any])?["id"] as? Int)
            #expect((issued.json["certificate"] as? [String: Any])?["emails"] as? [String] == ["locke.cole@example.com"])

            let download = try await signet.call(.GET, "certificate/\(certificateID)/download/format/pem_all", key: userKey)
            #expect(download.status == .ok)
            let pems = Tools.pemBlocks(download.text)
            #expect(pems.count == 3)
            for purpose in ["sslclient", "smimesign"] {
                let verdict = try await Tools.verify(leaf: pems[0], intermediate: pems[1], root: pems[2], purpose: purpose)
                #expect(verdict.status == 0, "\(purpose): \(verdict.output) \(verdict.error)")
            }
            let text = try await Tools.describe(pems[0])
            #expect(text.contains("email:locke.cole@example.com"))
            #expect(text.contains("OU = Accounting"))
            #expect(text.contains("E-mail Protection"))

            let request = try await signet.call(.GET, "request/\(requestID)", key: managerKey)
            #expect(request.json["status"] as? String == "approved")
            #expect(request.json["processor_comment"] as? String == "ok")
            #expect(request.json["date_processed"] is String)

            let again = try await signet.call(
                .PUT, "request/\(requestID)/status", key: managerKey, json: ["status": "rejected"])
            #expect(again.status == .badRequest)
            #expect(again.errorCode == "request_already_processed")
        }
    }

    @Test("A rejected order is refunded and its certificate rejected")
    func rejection() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let before = try await signet.balance()
            let response = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: false))
            let orderID = try #require(response.json["id"] as? Int)
            #expect(try await signet.balance() < before)
            let requestID = try #require((response.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            let rejected = try await signet.call(
                .PUT, "request/\(requestID)/status", json: ["status": "rejected", "processor_comment": "no"])
            #expect(rejected.status == .noContent)
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(info.json["status"] as? String == "rejected")
            #expect(try await signet.balance() == before)
            #expect(try await signet.store.read { try $0.ledgerSum() } == before)
        }
    }

    @Test("An order waits in pending until its domain is validated, then issues by itself")
    func pendingUntilValidated() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let response = try await signet.call(
                .POST, "order/certificate/ssl_securesite_flex",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            #expect(response.status == .created, "\(response.text)")
            let orderID = try #require(response.json["id"] as? Int)
            #expect(response.json["certificate_id"] is Int)
            #expect(response.json["certificate_chain"] == nil)
            #expect(try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String == "pending")

            try await signet.administration.validateDomain(name: "example.com")
            var status = ""
            try await Tools.eventually(within: 30) {
                status = try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String ?? ""
                return status == "issued"
            }
            #expect(status == "issued")
        }
    }

    @Test("OV orders wait for a validated organization; a new organization in the order is returned")
    func newOrganizationInOrder() async throws {
        try await withSignet { signet in
            _ = try await signet.administration.addBalance("5000")
            try await signet.administration.validateDomain(name: "example.com")
            var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: 0)
            body["organization"] = TestData.organization(name: "New Org LLC")
            let response = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
            #expect(response.status == .created, "\(response.text)")
            let organizationID = try #require((response.json["organization"] as? [String: Any])?["id"] as? Int)
            let orderID = try #require(response.json["id"] as? Int)
            let certificateID = try #require(response.json["certificate_id"] as? Int)
            #expect(response.json["certificate_chain"] == nil)
            let organization = try await signet.call(.GET, "organization/\(organizationID)")
            #expect(organization.json["name"] as? String == "New Org LLC")

            try await signet.administration.validateOrganization(id: organizationID, level: .ov)
            // The background pass may have issued it already; either way it ends issued.
            _ = try await signet.services.registration.advance(certificateID: certificateID)
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(info.json["status"] as? String == "issued")
        }
    }

    @Test("EV certificates carry the EV policy and subject attributes")
    func extendedValidation() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(level: .ev)
            let response = try await signet.call(
                .POST, "order/certificate/ssl_ev_securesite_pro",
                json: TestData.secureSiteOrder(csr: try TestData.csr(.p384), organizationID: organizationID))
            #expect(response.status == .created, "\(response.text)")
            let pems = try await Self.verifyChain(response)
            let text = try await Tools.describe(pems[0])
            #expect(text.contains("2.23.140.1.1"))
            #expect(text.contains("businessCategory = Private Organization"))
            #expect(text.contains("jurisdictionC = US"))
        }
    }

    @Test("An RSA issuing CA signs with the hash asked for")
    func rsaIssuingCA() async throws {
        try await withSignet(keyType: .rsa2048) { signet in
            let organizationID = try await signet.prepareAccount()
            var body = TestData.secureSiteOrder(csr: try TestData.csr(.rsa2048), organizationID: organizationID)
            var certificate = body["certificate"] as! [String: Any]
            certificate["signature_hash"] = "sha384"
            body["certificate"] = certificate
            let response = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
            #expect(response.status == .created, "\(response.text)")
            let pems = try await Self.verifyChain(response)
            let text = try await Tools.describe(pems[0])
            #expect(text.contains("Signature Algorithm: sha384WithRSAEncryption"))
            // TLS keys sign only, RSA ones too (docs/pki.md): no RSA key transport.
            #expect(text.contains("Digital Signature") && !text.contains("Key Encipherment"))
        }
    }

    @Test("Validity is capped by the rule in force on the day of issuance; the order keeps its term")
    func validityCaps() async throws {
        for (day, expectedDays) in [
            (ValidityPolicy.utcDay(2026, 1, 10), 397), (ValidityPolicy.utcDay(2026, 11, 23), 199),
            (ValidityPolicy.utcDay(2027, 4, 1), 99), (ValidityPolicy.utcDay(2029, 6, 1), 46),
        ] {
            let clock = FixedWallClock(day)
            try await withSignet(clock: clock) { signet in
                let organizationID = try await signet.prepareAccount()
                var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID)
                body["validity_years"] = nil
                body["order_validity"] = ["years": 3]
                let response = try await signet.call(.POST, "order/certificate/ssl_securesite_flex", json: body)
                #expect(response.status == .created, "\(response.text)")
                let orderID = try #require(response.json["id"] as? Int)
                let record = try await signet.store.read { connection in
                    try connection.certificate(id: try #require(response.json["certificate_id"] as? Int))
                }
                let issuance = try #require(record?.issuance)
                // Inclusive period (BR 6.3.2): notAfter - notBefore + 1 second.
                #expect(issuance.validTill.timeIntervalSince(issuance.validFrom) + 1 == Double(expectedDays) * 86_400)
                let info = try await signet.call(.GET, "order/certificate/\(orderID)")
                #expect(
                    info.json["order_valid_till"] as? String
                        == CertCentralFormat.day(
                            Calendar.utc.date(byAdding: .year, value: 3, to: day)!))
                #expect(info.json["is_multi_year_plan"] as? String == "1")
            }
        }
    }
}
