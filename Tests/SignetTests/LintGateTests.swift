import Foundation
import SignetCore
import Testing
import X509

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetPKI
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// The pre-issuance lint (BR 4.3.1.2): every check fires on what breaks its rule, names the rule,
/// and says whether the request or Signet caused it.
@Suite("Lint before sign")
struct LintGateTests {
    static func authority(
        _ directory: URL, endpoints: PKIEndpoints = PKIEndpoints(base: "http://pki.example.com")
    ) throws -> CertificateAuthority {
        try CAFolder(folder: directory.appendingPathComponent("ca")).loadOrCreate(CASettings(endpoints: endpoints), now: Date())
            .authority
    }

    static func request(
        _ product: String, endpoints: PKIEndpoints = PKIEndpoints(base: "http://pki.example.com"),
        organization: OrganizationDetails? = nil
    )
        throws -> LeafRequest
    {
        let product = try #require(ProductCatalog.product(nameID: product))
        let csr = try CSRInspector.inspect(try TestData.csr(commonName: "www.example.com"))
        let now = Date()
        let names =
            product.isTLS
            ? CertificateNames(commonName: "www.example.com", dnsNames: ["example.com"], emails: [])
            : CertificateNames(commonName: "a@example.com", dnsNames: [], emails: ["a@example.com"])
        return LeafRequest(
            publicKey: csr.publicKey, key: csr.key, product: product, names: names,
            organization: organization ?? OrganizationDetails(name: "Example Inc", city: "Lehi", state: "Utah", country: "US"),
            organizationUnits: [], signatureHash: .sha256, profileOption: product.isTLS ? .serverAuthOnly : nil,
            notBefore: Order.notBefore(signedAt: now), notAfter: now.addingTimeInterval(90 * 86_400), endpoints: endpoints)
    }

    static func rules(_ findings: [LintFinding]) -> [String] { findings.map(\.rule) }

    @Test("Each rule fires on what breaks it, with the request's findings naming the field")
    func rulesFire() throws {
        let directory = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try Self.authority(directory)
        let tls = authority.issuer(for: .tls).ca
        let good = try authority.prepare(try Self.request("ssl_basic"), now: Date())
        #expect(PreIssuanceLint.findings(good.tbs, issuer: tls, now: Date()).isEmpty)

        // https revocation pointers (an operator's --public-url https://… before --pki-url existed).
        let https = try Self.request("ssl_basic", endpoints: PKIEndpoints(base: "https://pki.example.com"))
        #expect(throws: LintFailure.self) { try authority.prepare(https, now: Date()) }
        do {
            _ = try authority.prepare(https, now: Date())
        } catch {
            #expect(error.findings.contains { $0.rule == "BR 7.1.2.11.2" && $0.cause == .authority })
            #expect(!error.isCausedByRequest)
        }

        var tbs = good.tbs
        tbs.notAfter = tbs.notBefore.addingTimeInterval(250 * 86_400)
        #expect(Self.rules(PreIssuanceLint.findings(tbs, issuer: tls, now: Date())).contains("BR 6.3.2"))
        tbs = good.tbs
        tbs.notBefore = Date().addingTimeInterval(-3 * 86_400)
        #expect(Self.rules(PreIssuanceLint.findings(tbs, issuer: tls, now: Date())).contains("BR 7.1.2.7"))

        tbs = good.tbs
        tbs.subject = try DistinguishedName {
            CountryName("UK")
            OrganizationName("Example Inc")
            LocalityName("Lehi")
            OrganizationalUnitName("Sales")
            CommonName("other.example.com")
        }
        let subjectFindings = PreIssuanceLint.findings(tbs, issuer: tls, now: Date())
        #expect(subjectFindings.contains { $0.rule == "BR 7.1.4.2.2(h)" && $0.cause == .request(field: "organization.country") })
        #expect(
            subjectFindings.contains {
                $0.rule == "BR 7.1.2.7.4" && $0.cause == .request(field: "certificate.organization_units")
            })
        #expect(subjectFindings.contains { $0.rule == "BR 7.1.4.3" && $0.cause == .request(field: "certificate.common_name") })

        // A TLS certificate from the S/MIME CA, and an EC key allowed key encipherment.
        tbs = good.tbs
        tbs.issuer = authority.issuer(for: .smime).ca.subject
        #expect(
            Self.rules(PreIssuanceLint.findings(tbs, issuer: authority.issuer(for: .smime).ca, now: Date())).contains(
                "BR 7.1.2.10.6"))
        tbs = good.tbs
        tbs.extensions = try Certificate.Extensions(
            tbs.extensions.map {
                $0.oid == .X509ExtensionID.keyUsage
                    ? try Certificate.Extension(KeyUsage(digitalSignature: true, keyEncipherment: true), critical: true) : $0
            })
        #expect(Self.rules(PreIssuanceLint.findings(tbs, issuer: tls, now: Date())).contains("BR 7.1.2.7.11"))

        // CRLs and OCSP responses.
        let longCRL = RevocationList(
            issuer: tls, number: 1, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(11 * 86_400), revoked: [],
            isRoot: false)
        #expect(Self.rules(RevocationLint.findings(longCRL)) == ["BR 4.9.7"])
        let shortOCSP = OCSPResponseBuilder(
            responder: tls, statuses: [([0x30, 0x00], .good)], producedAt: Date(), nextUpdate: Date().addingTimeInterval(3600),
            nonce: nil)
        #expect(Self.rules(RevocationLint.findings(shortOCSP)) == ["BR 4.9.10"])
    }

    @Test("A finding Signet causes is a 500 that signs, stores and charges nothing")
    func authorityFindingsSignNothing() async throws {
        // The CA made with http addresses; then the leaves misconfigured to https ones.
        let first = try await TestSignet.start()
        let organizationID = try await first.prepareAccount()
        try await first.stop(removingData: false)
        let signet = try await TestSignet.start(directory: first.directory, configure: { $0.pkiURL = "https://pki.example.com" })
        do {
            let balance = try await signet.balance()
            let refused = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            #expect(refused.status == .internalServerError, "\(refused.text)")
            #expect(refused.errorCode == "internal_error")
            #expect(try await signet.orderCount() == 0)
            #expect(try await signet.balance() == balance)
        } catch {
            try? await signet.stop()
            throw error
        }
        try await signet.stop()
    }
}
