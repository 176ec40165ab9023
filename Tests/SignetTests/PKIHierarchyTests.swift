import Crypto
import Foundation
import SignetCore
import SignetPKI
import SwiftASN1
import Testing
import X509

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetStore
@testable import SignetTestSupport

/// The CA hierarchy as relying parties and linters see it: a root and one issuing CA per family,
/// their CRLs and OCSP, what existing data folders keep, and where certificates point.
@Suite("CA hierarchy")
struct PKIHierarchyTests {
    static func write(_ text: String, _ name: String, in directory: URL) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    @Test("PEM blocks are the bytes swift-asn1 writes, with a final line break, at every length")
    func pemBlocks() throws {
        var generator = SplitMix(seed: 0x5045_4D21)
        for length in Array(0...200) + [1_000, 4_096] {
            let der = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let pem = PEM.encode(type: "CERTIFICATE", der: der)
            #expect(pem == PEMDocument(type: "CERTIFICATE", derBytes: der).pemString + "\n", "\(length) bytes")
            if length > 0 { #expect(try PEM.derBytes(of: pem) == der) }
        }
    }

    @Test(
        "Root and issuing CAs lint clean; each issuing CA is constrained by EKU and points at the root's CRL",
        arguments: [IssuingKeyType.p256, .rsa2048])
    func caCertificates(keyType: IssuingKeyType) async throws {
        try await withSignet(keyType: keyType) { signet in
            let authority = signet.services.authority
            let tls = authority.issuer(for: .tls)
            let smime = authority.issuer(for: .smime)
            #expect(tls.id != smime.id)
            let reports = try await PKIJudge.judge([
                .init(
                    linter: "lint_cabf_serverauth_cert", arguments: ["-t", "ROOT-CA"], contents: Data(authority.root.pem.utf8),
                    label: "root"),
                .init(
                    linter: "lint_cabf_serverauth_cert", arguments: ["-t", "INTERNAL-UNCONSTRAINED-TLS-CA"],
                    contents: Data(tls.ca.pem.utf8), label: "TLS CA"),
                .init(
                    linter: "lint_cabf_serverauth_cert", arguments: ["-t", "NON-TLS-CA"], contents: Data(smime.ca.pem.utf8),
                    label: "S/MIME CA"),
            ])
            for report in reports {
                #expect(report.errors.isEmpty && report.warnings.isEmpty, "\(keyType) \(report.label): \(report.output)")
            }
            let tlsText = try await Tools.describe(tls.ca.pem)
            #expect(tlsText.contains("TLS Web Server Authentication") && !tlsText.contains("E-mail Protection"))
            #expect(tlsText.contains("http://pki.signet-test.com/crl/\(authority.root.id).crl"))
            #expect(tlsText.contains("C=US") || tlsText.contains("C = US"))
            let smimeText = try await Tools.describe(smime.ca.pem)
            #expect(smimeText.contains("E-mail Protection") && !smimeText.contains("TLS Web Server Authentication"))
            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            try Self.write(authority.root.pem, "root.pem", in: directory)
            try Self.write(tls.ca.pem, "tls.pem", in: directory)
            let strict = try await Tools.run(
                "openssl", ["verify", "-x509_strict", "-CAfile", "root.pem", "tls.pem"], in: directory)
            #expect(strict.status == 0, "\(strict.output) \(strict.error)")

            // The CRLs and OCSP answers this key type signs: a revoked leaf's, and the root's about its issuing CA.
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(.rsa2048), organizationID: organizationID))
            let certificateID = try #require(placed.json["certificate_id"] as? Int, "\(placed.text)")
            let leaf = try Certificate(
                pemEncoded: try #require((placed.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String))
            #expect(
                try await signet.call(
                    .PUT, "certificate/\(certificateID)/revoke",
                    json: ["skip_approval": true, "revocation_reason": "keyCompromise"]
                ).status == .noContent)
            let leafCRL = try await signet.call(.GET, "/crl/\(tls.id).crl")
            let rootCRL = try await signet.call(.GET, "/crl/\(authority.root.id).crl")
            let leafOCSP = try await signet.call(
                .POST, "/ocsp",
                binaryBody: try Self.ocspRequest(issuer: tls.ca.certificate, serial: leaf.serialNumber.bytes, nonceLength: 16))
            let caOCSP = try await signet.call(
                .POST, "/ocsp",
                binaryBody: try Self.ocspRequest(
                    issuer: authority.root.certificate, serial: tls.ca.certificate.serialNumber.bytes, nonceLength: nil))
            let revocationReports = try await PKIJudge.judge([
                .init(linter: "lint_crl", arguments: ["-t", "CRL", "-p", "BR"], contents: leafCRL.body, label: "TLS CA's CRL"),
                .init(linter: "lint_crl", arguments: ["-t", "ARL", "-p", "BR"], contents: rootCRL.body, label: "root's CRL"),
                .init(linter: "lint_ocsp_response", arguments: [], contents: leafOCSP.body, label: "OCSP of a revoked leaf"),
                .init(linter: "lint_ocsp_response", arguments: [], contents: caOCSP.body, label: "root's OCSP of the TLS CA"),
            ])
            for report in revocationReports {
                #expect(report.errors.isEmpty && report.warnings.isEmpty, "\(keyType) \(report.label): \(report.output)")
            }
            #expect(Array(caOCSP.body).prefix(5) != [0x30, 0x03, 0x0A, 0x01, 0x06], "the root answers for its issuing CAs")
        }
    }

    @Test(
        "An EV leaf passes openssl verify -x509_strict -explicit_policy; S/MIME leaves chain to the S/MIME CA with keyAgreement for EC keys"
    )
    func leavesAndPolicies() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(level: .ev)
            let ev = try await signet.call(
                .POST, "order/certificate/ssl_ev_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let chain = try #require(ev.json["certificate_chain"] as? [[String: Any]], "\(ev.text)").compactMap {
                $0["pem"] as? String
            }
            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            for (name, pem) in zip(["leaf.pem", "ica.pem", "root.pem"], chain) { try Self.write(pem, name, in: directory) }
            let verdict = try await Tools.run(
                "openssl",
                [
                    "verify", "-x509_strict", "-explicit_policy", "-policy", "2.23.140.1.1", "-CAfile", "root.pem", "-untrusted",
                    "ica.pem", "leaf.pem",
                ],
                in: directory)
            #expect(verdict.status == 0, "\(verdict.output) \(verdict.error)")
            let leaf = try Certificate(pemEncoded: chain[0])
            #expect(leaf.notValidBefore == Calendar.utc.startOfDay(for: Date()), "notBefore is midnight UTC of the day of issue")

            let smime = try await signet.call(
                .POST, "order/certificate/client_premium",
                json: TestData.clientOrder(csr: try TestData.csr(.p256), organizationID: organizationID, skipApproval: true))
            let smimeChain = try #require(smime.json["certificate_chain"] as? [[String: Any]], "\(smime.text)").compactMap {
                $0["pem"] as? String
            }
            #expect(smimeChain[1] == signet.services.authority.issuer(for: .smime).ca.pem)
            let text = try await Tools.describe(smimeChain[0])
            #expect(text.contains("Key Agreement"), "an EC S/MIME key encrypts by key agreement: \(text)")
            #expect(text.contains("GN=Lock") || text.contains("GN = Lock"))
            #expect(text.contains("SN=Cole") || text.contains("SN = Cole"))
            let email = try await Tools.verify(
                leaf: smimeChain[0], intermediate: smimeChain[1], root: smimeChain[2], purpose: "smimesign")
            #expect(email.status == 0, "\(email.output) \(email.error)")
        }
    }

    @Test("Given name and surname come from explicit fields: 'Jean van Berg' is Jean / van Berg, never split at the last space")
    func personalNames() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            var body = TestData.clientOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: true)
            body["certificate"] = [
                "common_name": "Jean van Berg", "first_name": "Jean", "last_name": "van Berg", "emails": ["jean@example.com"],
                "signature_hash": "sha256", "csr": try TestData.csr(),
            ]
            let placed = try await signet.call(.POST, "order/certificate/client_premium", json: body)
            let leaf = try #require(
                (placed.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String, "\(placed.text)")
            let subject = try Certificate(pemEncoded: leaf).subject.description
            #expect(
                subject.contains("2.5.4.42=Jean,") && subject.contains("2.5.4.4=van Berg,"),
                "givenName Jean, surname van Berg: \(subject)")
            var mismatch = body
            mismatch["certificate"] = (body["certificate"] as? [String: Any] ?? [:]).merging(["common_name": "Jan Berg"]) { $1 }
            let refused = try await signet.call(.POST, "order/certificate/client_premium", json: mismatch)
            #expect(refused.errorCode == "invalid_value:certificate.common_name", "\(refused.text)")
        }
    }

    @Test("Behind a TLS proxy (--public-url https://…) certificates still point at http CRL, OCSP and issuer addresses")
    func httpPKIAddresses() async throws {
        try await withSignet(configure: { $0.publicURL = "https://ca.example.com:8443" }) { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let leaf = try #require((placed.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String)
            let text = try await Tools.describe(leaf)
            #expect(
                text.contains("URI:http://ca.example.com/crl/") && text.contains("OCSP - URI:http://ca.example.com/ocsp"),
                "\(text)")
            #expect(!text.contains("https://"))
            let report = try await PKIJudge.judge([
                .init(linter: "lint_cabf_serverauth_cert", arguments: ["-d"], contents: Data(leaf.utf8), label: "leaf")
            ])
            #expect(report.first?.errors.isEmpty == true, "\(report.first?.output ?? "")")
        }
    }

    /// An OCSP request for `serial` of `issuer`, with a nonce of `nonceLength` octets (none when `nil`).
    static func ocspRequest(issuer: Certificate, serial: ArraySlice<UInt8>, nonceLength: Int?) throws -> [UInt8] {
        var name = DER.Serializer()
        try name.serialize(issuer.subject)
        let nameHash = Array(Insecure.SHA1.hash(data: name.serializedBytes))
        let keyHash = Array(Insecure.SHA1.hash(data: issuer.publicKey.subjectPublicKeyInfoBytes))
        var request = DER.Serializer()
        try request.appendConstructedNode(identifier: .sequence) { outer in
            try outer.appendConstructedNode(identifier: .sequence) { tbs in
                try tbs.appendConstructedNode(identifier: .sequence) { list in
                    try list.appendConstructedNode(identifier: .sequence) { single in
                        try single.appendConstructedNode(identifier: .sequence) { certID in
                            try certID.appendConstructedNode(identifier: .sequence) { algorithm in
                                try algorithm.serialize(ASN1ObjectIdentifier("1.3.14.3.2.26"))
                                try algorithm.serialize(ASN1Null())
                            }
                            try certID.serialize(ASN1OctetString(contentBytes: nameHash[...]))
                            try certID.serialize(ASN1OctetString(contentBytes: keyHash[...]))
                            try certID.serialize(serial)
                        }
                    }
                }
                if let nonceLength {
                    var nonce = DER.Serializer()
                    try nonce.serialize(ASN1OctetString(contentBytes: ArraySlice(repeating: 0x5A, count: nonceLength)))
                    try tbs.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { explicit in
                        try explicit.serializeSequenceOf([
                            Certificate.Extension(
                                oid: [1, 3, 6, 1, 5, 5, 7, 48, 1, 2], critical: false, value: nonce.serializedBytes[...])
                        ])
                    }
                }
            }
        }
        return request.serializedBytes
    }

    @Test(
        "OCSP: nonces of 1 to 32 octets are echoed, 0 or 1,000 are malformedRequest (RFC 9654); GET answers carry RFC 5019 cache headers"
    )
    func ocspNoncesAndCaching() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let leaf = try Certificate(
                pemEncoded: try #require((placed.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String))
            let issuer = signet.services.authority.issuer(for: .tls).ca.certificate
            for (length, malformed) in [(0, true), (1, false), (32, false), (33, true), (1000, true)] {
                let request = try Self.ocspRequest(issuer: issuer, serial: leaf.serialNumber.bytes, nonceLength: length)
                let response = try await signet.call(.POST, "/ocsp", binaryBody: request)
                let bytes = Array(response.body)
                #expect(
                    (bytes.prefix(5) == [0x30, 0x03, 0x0A, 0x01, 0x01]) == malformed,
                    "nonce of \(length) octets: \(bytes.prefix(8))")
            }
            let plain = try Self.ocspRequest(issuer: issuer, serial: leaf.serialNumber.bytes, nonceLength: nil)
            let encoded = Data(plain).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let get = try await signet.call(.GET, "/ocsp/\(encoded)")
            #expect(get.status == .ok)
            #expect(get.headers.first(name: .cacheControl)?.contains("max-age=") == true, "\(get.headers)")
            #expect(get.headers.first(name: .lastModified) != nil && get.headers.first(name: .eTag) != nil)
            let reports = try await PKIJudge.judge([
                .init(linter: "lint_ocsp_response", arguments: [], contents: get.body, label: "OCSP")
            ])
            #expect(reports.first?.errors.isEmpty == true, "\(reports.first?.output ?? "")")
        }
    }

    @Test(
        "A data folder from before keeps its CA; `ca rotate` moves issuance to per-family CAs; the retired CA stays revocable; the root revokes it"
    )
    func legacyFolderAndRotation() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("signet-legacy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // A database, then the CA files of an older version in its data folder.
        let first = try await TestSignet.start(directory: directory)
        let ca = directory.appendingPathComponent("ca")
        try FileManager.default.removeItem(at: ca)
        try LegacyCA.write(into: ca)
        _ = try await first.store.write { try $0.execute("DELETE FROM certificate_authority") }
        try await first.stop(removingData: false)

        var signet = try await TestSignet.start(directory: directory)
        let legacy = try #require(signet.services.authority.issuers.first)
        #expect(signet.services.authority.issuers.count == 1 && legacy.families == [.tls, .smime])
        let work = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let organizationID = try await signet.prepareAccount()
        let old = try await signet.call(
            .POST, "order/certificate/ssl_basic",
            json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
        let oldPEMs = try await OrderFlowTests.verifyChain(old)
        #expect(oldPEMs[1] == legacy.ca.pem, "issued by the folder's own issuing CA")
        let oldCertificateID = try #require(old.json["certificate_id"] as? Int)
        try await signet.stop(removingData: false)

        // The operator rotates: new issuing CAs per family; the old one retires.
        let made = try CAFolder(folder: ca).rotate(signet.configuration.caSettings, now: Date())
        #expect(made.count == 2)
        signet = try await TestSignet.start(directory: directory)
        do {
            let authority = signet.services.authority
            #expect(authority.issuer(for: .tls).id != legacy.id && authority.issuer(for: .smime).id != legacy.id)
            #expect(authority.issuer(id: legacy.id)?.isCurrent == false)
            let fresh = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            await #expect(try OrderFlowTests.verifyChain(fresh)[1] == authority.issuer(for: .tls).ca.pem)

            // The old certificate: still served, valid, then revoked through the retired CA's CRL and OCSP.
            #expect(try await signet.call(.GET, "/ca/\(legacy.id).crt").status == .ok)
            await #expect(try Tools.verify(leaf: oldPEMs[0], intermediate: oldPEMs[1], root: oldPEMs[2]).status == 0)
            #expect(
                try await signet.call(.PUT, "certificate/\(oldCertificateID)/revoke", json: ["skip_approval": true]).status
                    == .noContent)
            let base = try await signet.listen()
            for (name, pem) in zip(["leaf.pem", "ica.pem", "root.pem"], oldPEMs) { try Self.write(pem, name, in: work) }
            let revoked = try await RevocationTests.ocsp(base, in: work)
            #expect(revoked.contains("leaf.pem: revoked"), "\(revoked)")
            let legacyCRL = try await signet.call(.GET, "/crl/\(legacy.id).crl")
            try legacyCRL.body.write(to: work.appendingPathComponent("legacy.crl"))
            let listed = try await Tools.run(
                "openssl", ["crl", "-inform", "DER", "-in", "legacy.crl", "-noout", "-text"], in: work)
            let serial = try Certificate(pemEncoded: oldPEMs[0]).serialNumber.bytes.hexString
            #expect(listed.output.replacingOccurrences(of: ":", with: "").uppercased().contains(serial), "\(listed.output)")

            // The root revokes the retired issuing CA: its CRL and its OCSP answer say so.
            let rootCRL = try await signet.administration.revokeIssuer(
                id: legacy.id, reason: .cessationOfOperation, authority: authority)
            #expect(rootCRL.issuerID == authority.root.id)
            let served = try await signet.call(.GET, "/crl/\(authority.root.id).crl")
            #expect(Array(served.body) == rootCRL.der)
            try served.body.write(to: work.appendingPathComponent("root.crl"))
            let rootListed = try await Tools.run(
                "openssl", ["crl", "-inform", "DER", "-in", "root.crl", "-noout", "-text"], in: work)
            let legacySerial = legacy.ca.certificate.serialNumber.bytes.drop(while: { $0 == 0 }).hexString
            #expect(
                rootListed.output.replacingOccurrences(of: ":", with: "").uppercased().contains(legacySerial),
                "\(rootListed.output)")
            try Self.write(oldPEMs[1], "legacy.pem", in: work)
            let caStatus = try await Tools.run(
                "openssl",
                [
                    "ocsp", "-issuer", "root.pem", "-cert", "legacy.pem", "-url", "\(base)/ocsp", "-CAfile", "root.pem",
                    "-respout", "root-ocsp.der",
                ],
                in: work)
            #expect((caStatus.output + caStatus.error).contains("legacy.pem: revoked"), "\(caStatus.output) \(caStatus.error)")
            #expect((caStatus.output + caStatus.error).contains("Response verify OK"))

            let tlsCRL = try await signet.call(.GET, "/crl/\(authority.issuer(for: .tls).id).crl")
            let reports = try await PKIJudge.judge([
                .init(
                    linter: "lint_crl", arguments: ["-t", "CRL", "-p", "BR"], contents: legacyCRL.body, label: "retired CA's CRL"),
                .init(linter: "lint_crl", arguments: ["-t", "CRL", "-p", "BR"], contents: tlsCRL.body, label: "TLS CA's CRL"),
                .init(linter: "lint_crl", arguments: ["-t", "ARL", "-p", "BR"], contents: served.body, label: "root CRL"),
                .init(
                    linter: "lint_ocsp_response", arguments: [],
                    contents: try Data(contentsOf: work.appendingPathComponent("root-ocsp.der")),
                    label: "root's OCSP answer"),
                .init(
                    linter: "lint_ocsp_response", arguments: [],
                    contents: try Data(contentsOf: work.appendingPathComponent("response.der")),
                    label: "retired CA's OCSP answer"),
            ])
            for report in reports { #expect(report.errors.isEmpty, "\(report.label): \(report.output)") }
        } catch {
            try? await signet.stop()
            throw error
        }
        try await signet.stop()
    }
}
