import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Revocation through both endpoints, and the CRL and OCSP responder as openssl and pkilint judge them.
@Suite("Revocation, CRL and OCSP")
struct RevocationTests {
    /// An issued order's chain written to files: leaf.pem, ica.pem, root.pem.
    static func issue(
        _ signet: TestSignet, organizationID: Int, into directory: URL
    ) async throws -> (orderID: Int, certificateID: Int) {
        let response = try await signet.call(
            .POST, "order/certificate/ssl_basic",
            json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
        let pems = try await OrderFlowTests.verifyChain(response)
        for (name, pem) in zip(["leaf.pem", "ica.pem", "root.pem"], pems) {
            try pem.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return (try #require(response.json["id"] as? Int), try #require(response.json["certificate_id"] as? Int))
    }

    /// `openssl ocsp` against the live responder; returns its output.
    static func ocsp(_ base: String, in directory: URL, extra: [String] = []) async throws -> String {
        let result = try await Tools.run(
            "openssl",
            [
                "ocsp", "-issuer", "ica.pem", "-cert", "leaf.pem", "-url", "\(base)/ocsp", "-CAfile", "root.pem",
                "-respout", "response.der",
            ] + extra,
            in: directory)
        return result.output + result.error
    }

    /// Fetches the CRL and writes it as crl.der and crl.pem.
    static func fetchCRL(_ signet: TestSignet, into directory: URL) async throws {
        let response = try await signet.call(.GET, "/crl/\(signet.services.authority.issuer(for: .tls).id).crl")
        #expect(response.status == .ok)
        #expect(response.headers.contentType?.serialize() == "application/pkix-crl")
        try response.body.write(to: directory.appendingPathComponent("crl.der"))
        let converted = try await Tools.run(
            "openssl", ["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"], in: directory)
        #expect(converted.status == 0, "\(converted.error)")
    }

    static func lintFindings(_ arguments: [String], in directory: URL) async throws -> [String] {
        let result = try await Tools.run(arguments[0], Array(arguments.dropFirst()), in: directory)
        #expect(!result.error.contains("Traceback"), "\(result.error)")
        return result.output.split(separator: "\n").map(String.init).filter { $0.contains("(ERROR)") || $0.contains("(FATAL)") }
    }

    @Test("openssl ocsp says good, then revoked with time and reason; openssl verify -crl_check rejects; pkilint is clean")
    func ocspAndCRL() async throws {
        try await withSignet { signet in
            let base = try await signet.listen()
            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let organizationID = try await signet.prepareAccount()
            let (_, certificateID) = try await Self.issue(signet, organizationID: organizationID, into: directory)

            let good = try await Self.ocsp(base, in: directory)
            #expect(good.contains("Response verify OK"), "\(good)")
            #expect(good.contains("leaf.pem: good"), "\(good)")
            #expect(!good.contains("WARNING"), "the nonce must be echoed: \(good)")
            await #expect(try Self.lintFindings(["lint_ocsp_response", "lint", "response.der"], in: directory).isEmpty)

            try await Self.fetchCRL(signet, into: directory)
            let clean = try await Tools.run(
                "openssl",
                ["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "ica.pem", "leaf.pem"],
                in: directory)
            #expect(clean.status == 0, "\(clean.output) \(clean.error)")

            let revoked = try await signet.call(
                .PUT, "certificate/\(certificateID)/revoke",
                json: ["revocation_reason": "keyCompromise", "comments": "key leaked", "skip_approval": true])
            #expect(revoked.status == .noContent, "\(revoked.text)")
            #expect(revoked.body.isEmpty)

            let after = try await Self.ocsp(base, in: directory)
            #expect(after.contains("Response verify OK"), "\(after)")
            #expect(after.contains("leaf.pem: revoked"), "\(after)")
            #expect(after.contains("Reason: keyCompromise"), "\(after)")
            #expect(after.contains("Revocation Time:"), "\(after)")
            await #expect(try Self.lintFindings(["lint_ocsp_response", "lint", "response.der"], in: directory).isEmpty)

            try await Self.fetchCRL(signet, into: directory)
            let verified = try await Tools.run(
                "openssl", ["crl", "-in", "crl.pem", "-CAfile", "ica.pem", "-noout", "-text"], in: directory)
            #expect(verified.output.contains("Key Compromise"), "\(verified.output)")
            #expect(verified.output.contains("X509v3 CRL Number"), "\(verified.output)")
            let signature = try await Tools.run(
                "openssl", ["crl", "-in", "crl.pem", "-CAfile", "ica.pem", "-verify", "-noout"], in: directory)
            #expect((signature.output + signature.error).contains("verify OK"), "\(signature.error)")
            let rejected = try await Tools.run(
                "openssl",
                ["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "ica.pem", "leaf.pem"],
                in: directory)
            #expect(rejected.status != 0)
            #expect((rejected.output + rejected.error).contains("certificate revoked"))
            await #expect(try Self.lintFindings(["lint_crl", "lint", "-t", "CRL", "-p", "BR", "crl.der"], in: directory).isEmpty)
        }
    }

    @Test("OCSP over GET, without a nonce, for an unknown serial, and for garbage")
    func ocspVariants() async throws {
        try await withSignet { signet in
            let base = try await signet.listen()
            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let organizationID = try await signet.prepareAccount()
            _ = try await Self.issue(signet, organizationID: organizationID, into: directory)

            let noNonce = try await Self.ocsp(base, in: directory, extra: ["-no_nonce"])
            #expect(noNonce.contains("leaf.pem: good"), "\(noNonce)")
            let cached = try await Self.ocsp(base, in: directory, extra: ["-no_nonce"])
            #expect(cached.contains("leaf.pem: good"), "\(cached)")

            let made = try await Tools.run(
                "openssl", ["ocsp", "-issuer", "ica.pem", "-cert", "leaf.pem", "-no_nonce", "-reqout", "request.der"],
                in: directory)
            #expect(made.status == 0, "\(made.error)")
            let request = try Data(contentsOf: directory.appendingPathComponent("request.der"))
            let encoded = request.base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let fetched = try await Tools.run("curl", ["-s", "-o", "get.der", "\(base)/ocsp/\(encoded)"], in: directory)
            #expect(fetched.status == 0)
            let read = try await Tools.run(
                "openssl", ["ocsp", "-respin", "get.der", "-issuer", "ica.pem", "-cert", "leaf.pem", "-CAfile", "root.pem"],
                in: directory)
            #expect((read.output + read.error).contains("leaf.pem: good"), "\(read.output) \(read.error)")

            let unknown = try await Tools.run(
                "openssl",
                ["ocsp", "-issuer", "ica.pem", "-serial", "0x0102030405060708", "-url", "\(base)/ocsp", "-CAfile", "root.pem"],
                in: directory)
            #expect((unknown.output + unknown.error).contains("unknown"), "\(unknown.output)")

            let garbage = try await signet.call(.POST, "/ocsp", rawBody: "not DER")
            #expect(garbage.status == .ok)
            #expect(Array(garbage.body) == [0x30, 0x03, 0x0A, 0x01, 0x01], "malformedRequest")
        }
    }

    @Test("A user's revocation is a request that a manager approves; reasons in any spelling; bad ones refused")
    func revocationRequests() async throws {
        try await withSignet { signet in
            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let organizationID = try await signet.prepareAccount()
            let (_, certificateID) = try await Self.issue(signet, organizationID: organizationID, into: directory)
            let (userKey, user) = try await signet.administration.createAPIKey(role: .user, name: "requester")
            let (managerKey, _) = try await signet.administration.createAPIKey(role: .manager, name: "approver")

            let unknownReason = try await signet.call(
                .PUT, "certificate/\(certificateID)/revoke", key: userKey, json: ["revocation_reason": "boredom"])
            #expect(unknownReason.status == .badRequest)
            #expect(unknownReason.errorCode == "invalid_value:revocation_reason")

            let response = try await signet.call(
                .PUT, "certificate/\(certificateID)/revoke", key: userKey,
                json: ["reason": "cessation_of_operation", "comment": "server retired", "skip_approval": true])
            #expect(response.status == .created, "\(response.text)")
            #expect(response.json["type"] as? String == "revoke")
            #expect(response.json["status"] as? String == "pending")
            #expect(response.json["comments"] as? String == "server retired")
            #expect((response.json["requester"] as? [String: Any])?["id"] as? Int == user.id)
            #expect(try await LifecycleTests.certificateStatus(signet, certificateID) == "issued")

            let requestID = try #require(response.json["id"] as? Int)
            let approved = try await signet.call(
                .PUT, "request/\(requestID)/status", key: managerKey, json: ["status": "approved"])
            #expect(approved.status == .noContent)
            let record = try await signet.store.read { try $0.certificate(id: certificateID) }
            #expect(record?.status == .revoked)
            #expect(record?.revocation?.reason == .cessationOfOperation)

            let again = try await signet.call(
                .PUT, "certificate/\(certificateID)/revoke", json: ["skip_approval": true])
            #expect(again.errorCode == "certificate_already_revoked")
            #expect(try await signet.call(.PUT, "certificate/999/revoke", json: [:]).errorCode == "not_found|certificate")
        }
    }

    @Test("Revoking an order revokes its primary, reissued and duplicate certificates and cancels pending ones")
    func orderRevocation() async throws {
        try await withSignet { signet in
            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let organizationID = try await signet.prepareAccount()
            let (orderID, firstID) = try await Self.issue(signet, organizationID: organizationID, into: directory)
            let reissued = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue", json: try LifecycleTests.reissueBody())
            let reissuedID = try #require(reissued.json["certificate_id"] as? Int)
            let duplicate = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate", json: try LifecycleTests.reissueBody())
            let duplicateID = try #require(duplicate.json["certificate_id"] as? Int)
            let pending = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate", json: try LifecycleTests.reissueBody(skipApproval: false))
            #expect(pending.status == .created)
            let serial = try #require(try await signet.call(.GET, "certificate/\(duplicateID)").json["serial_number"] as? String)

            let response = try await signet.call(
                .PUT, "order/certificate/\(orderID)/revoke",
                json: ["revocation_reason": "affiliationChanged", "comments": "left the company", "skip_approval": true])
            #expect(response.status == .noContent, "\(response.text)")
            #expect(try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String == "revoked")
            for id in [firstID, reissuedID, duplicateID] {
                #expect(try await LifecycleTests.certificateStatus(signet, id) == "revoked", "certificate \(id)")
            }
            let duplicates =
                try await signet.call(.GET, "order/certificate/\(orderID)/duplicate").json["certificates"] as? [[String: Any]]
            #expect(duplicates?.last?["status"] as? String == "canceled")
            let pendingRequests = try await signet.call(.GET, "request?filters[status]=pending").json["requests"] as? [Any]
            #expect(pendingRequests?.isEmpty == true)

            try await Self.fetchCRL(signet, into: directory)
            let text = try await Tools.run("openssl", ["crl", "-in", "crl.pem", "-noout", "-text"], in: directory).output
            #expect(text.contains(serial), "the duplicate's serial is on the CRL")
            #expect(text.components(separatedBy: "Serial Number:").count - 1 == 3)
            #expect(text.contains("Affiliation Changed"))
            #expect(
                try await signet.call(.PUT, "order/certificate/\(orderID)/revoke", json: ["skip_approval": true]).errorCode
                    == "order_already_revoked")
        }
    }

    @Test(
        "The CRL is numbered, rebuilt (outside the revoking transaction) when its entries change, and renewed before nextUpdate")
    func crlRenewal() async throws {
        let clock = FixedWallClock(ValidityPolicy.utcDay(2026, 11, 23))
        try await withSignet(clock: clock) { signet in
            let authority = signet.services.authority
            let tls = authority.issuer(for: .tls).id
            let first = try #require(
                try await signet.services.registration.revocations.currentCRL(caID: tls, store: signet.store, now: clock.now()))
            #expect(first.nextUpdate.timeIntervalSince(first.thisUpdate) == 7 * 86_400)
            clock.advance(by: 3600)
            let same = try #require(
                try await signet.services.registration.revocations.currentCRL(caID: tls, store: signet.store, now: clock.now()))
            #expect(same.number == first.number)
            clock.advance(by: 86_400)
            let renewed = try #require(
                try await signet.services.registration.revocations.currentCRL(caID: tls, store: signet.store, now: clock.now()))
            #expect(renewed.number == first.number + 1)
            #expect(renewed.thisUpdate == clock.now())

            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let certificateID = try #require(placed.json["certificate_id"] as? Int)
            _ = try await signet.call(.PUT, "certificate/\(certificateID)/revoke", json: ["skip_approval": true])
            // The revocation's transaction signs nothing: the next read of the CRL (this one, or the
            // background pass's) sees that the entries changed and publishes one new CRL, signed outside.
            let afterRevocation = try #require(
                try await signet.services.registration.revocations.currentCRL(caID: tls, store: signet.store, now: clock.now()))
            #expect(afterRevocation.number == renewed.number + 1)
            let again = try await signet.services.registration.revocations.currentCRL(
                caID: tls, store: signet.store, now: clock.now())
            #expect(again?.number == afterRevocation.number, "unchanged entries: the same CRL")
            let listed = try await Tools.run(
                "openssl", ["crl", "-inform", "DER", "-noout", "-text"], input: Data(afterRevocation.der))
            #expect(listed.output.contains("Serial Number"), "the revoked certificate is listed: \(listed.output)")
        }
    }
}
