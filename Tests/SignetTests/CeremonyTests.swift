import Foundation
import Testing

@testable import SignetTestSupport

/// Key ceremonies (`signet ceremony`, docs/hsm.md) on a SoftHSM token: a root, issuing CAs and the
/// root's CRL made offline, then a server that holds only the issuing keys.
@Suite("Key ceremonies and an offline root")
struct CeremonyTests {
    static let pki = "http://pki.signet-test.com"

    /// Runs `signet ceremony` on `description` written to `folder/name`.
    static func ceremony(
        _ name: String, _ description: [String: Any], in folder: URL, token: HSMTests.Token
    ) async throws -> Tools.Result {
        let file = folder.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: description, options: [.prettyPrinted]).write(to: file)
        return try await Tools.run(
            "signet", ["ceremony", file.path], executable: SignetProcess.binary, environment: token.environment, timeout: 120)
    }

    @Test("Root, issuing CAs and the root's CRL made in ceremonies; a server without the root key issues, and publishes that CRL")
    func offlineRoot() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let token = try await HSMTests.Token(root: root)
        let pinFile = root.appendingPathComponent("pin")
        try HSMTests.pin.write(to: pinFile, atomically: true, encoding: .utf8)
        func uri(_ label: String) -> String {
            "pkcs11:token=signet;object=\(label)?module-path=\(HSMTests.module)&pin-source=file:\(pinFile.path)"
        }
        let outputs = root.appendingPathComponent("ceremony")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        func subject(_ name: String) -> [String: String] {
            ["common_name": name, "organization": "Signet Test", "country": "US"]
        }

        let made = try await Self.ceremony(
            "root.json",
            [
                "type": "root", "key": ["uri": uri("ceremony-root"), "curve": "p384"], "subject": subject("Signet Test Root R1"),
                "validity_days": 7300, "outputs": ["certificate": "root.crt", "transcript": "root-transcript.json"],
            ], in: outputs, token: token)
        #expect(made.status == 0, "\(made.output) \(made.error)")
        for (family, label) in [("tls", "issuing-tls"), ("smime", "issuing-smime"), ("tls", "retiring-tls")] {
            let name = label == "retiring-tls" ? "old" : family
            let intermediate = try await Self.ceremony(
                "\(name).json",
                [
                    "type": "intermediate", "family": family, "key": ["uri": uri(label)],
                    "signing_key": ["uri": uri("ceremony-root")], "issuer_certificate": "root.crt",
                    "subject": subject("Signet Test \(label)"), "pki_url": Self.pki, "validity_days": 1825,
                    "outputs": [
                        "certificate": "\(name).crt", "key_file": "\(name).key", "transcript": "\(name)-transcript.json",
                    ],
                ], in: outputs, token: token)
            #expect(intermediate.status == 0, "\(intermediate.output) \(intermediate.error)")
        }
        let crlMade = try await Self.ceremony(
            "crl.json",
            [
                "type": "crl", "signing_key": ["uri": uri("ceremony-root")], "issuer_certificate": "root.crt", "crl_number": 1,
                "validity_days": 365, "revoked": [["certificate": "old.crt", "reason": "keyCompromise"]],
                "outputs": ["crl": "root.crl", "transcript": "crl-transcript.json"],
            ], in: outputs, token: token)
        #expect(crlMade.status == 0, "\(crlMade.output) \(crlMade.error)")

        // What the ceremonies wrote verifies and lints, and no transcript holds the PIN.
        let rootFile = outputs.appendingPathComponent("root.crt")
        let tlsVerdict = try await Tools.run(
            "openssl", ["verify", "-CAfile", rootFile.path, outputs.appendingPathComponent("tls.crt").path], timeout: 60)
        #expect(tlsVerdict.status == 0, "\(tlsVerdict.output) \(tlsVerdict.error)")
        let crlFile = outputs.appendingPathComponent("root.crl")
        let crlText = try await Tools.run(
            "openssl", ["crl", "-inform", "DER", "-in", crlFile.path, "-CAfile", rootFile.path, "-noout", "-text"], timeout: 60)
        #expect(crlText.status == 0 && crlText.error.contains("verify OK"), "\(crlText.output) \(crlText.error)")
        #expect(crlText.output.contains("Key Compromise"), "\(crlText.output)")
        let reports = try await PKIJudge.judge([
            .init(
                linter: "lint_cabf_serverauth_cert", arguments: ["-t", "ROOT-CA"], contents: try Data(contentsOf: rootFile),
                label: "ceremony root"),
            .init(
                linter: "lint_cabf_serverauth_cert", arguments: ["-t", "INTERNAL-UNCONSTRAINED-TLS-CA"],
                contents: try Data(contentsOf: outputs.appendingPathComponent("tls.crt")), label: "ceremony TLS CA"),
            .init(
                linter: "lint_crl", arguments: ["-t", "ARL", "-p", "BR"], contents: try Data(contentsOf: crlFile),
                label: "ceremony ARL"),
        ])
        for report in reports { #expect(report.errors.isEmpty, "\(report.label): \(report.output)") }
        for transcript in ["root", "tls", "crl"] {
            let text = try String(contentsOf: outputs.appendingPathComponent("\(transcript)-transcript.json"), encoding: .utf8)
            #expect(text.contains("\"signed\"") && !text.contains(HSMTests.pin), "\(text)")
        }
        #expect(try String(contentsOf: outputs.appendingPathComponent("tls.key"), encoding: .utf8).hasPrefix("pkcs11:"))

        // Outputs that do not hang together (the TLS key file names the S/MIME key) install nothing.
        let mixed = root.appendingPathComponent("mixed")
        try FileManager.default.copyItem(at: outputs, to: mixed)
        try FileManager.default.removeItem(at: mixed.appendingPathComponent("tls.key"))
        try FileManager.default.copyItem(
            at: mixed.appendingPathComponent("smime.key"), to: mixed.appendingPathComponent("tls.key"))
        let refused = try await Tools.run(
            "signet", ["init", "--data", root.appendingPathComponent("mixed-data").path, "--ca-from", mixed.path],
            executable: SignetProcess.binary, environment: token.environment, timeout: 120)
        #expect(refused.status != 0, "\(refused.output) \(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("mixed-data/ca/root.crt").path))

        // The server's data folder holds the issuing CAs, the root's certificate and CRL: no root key.
        let data = root.appendingPathComponent("data")
        let initialized = try await Tools.run(
            "signet", ["init", "--data", data.path, "--ca-from", outputs.path, "--pki-url", Self.pki],
            executable: SignetProcess.binary, environment: token.environment, timeout: 120)
        #expect(initialized.status == 0, "\(initialized.output) \(initialized.error)")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("ca/root.key").path))
        let rotate = try await Tools.run(
            "signet", ["ca", "rotate", "--data", data.path], executable: SignetProcess.binary, environment: token.environment,
            timeout: 60)
        #expect(rotate.status != 0 && rotate.error.contains("offline"), "\(rotate.output) \(rotate.error)")

        let signet = try SignetProcess(
            data: data, arguments: ["--dcv", "always-valid", "--pki-url", Self.pki], environment: token.environment)
        defer { signet.stop() }
        try await signet.waitUntilServing()
        #expect(try await signet.administer(["balance", "add", "1000"]).status == 0)
        let pems = try await signet.placeVerifiedDVOrder(commonName: "offline-root.example.com")
        #expect(pems[2] == (try String(contentsOf: rootFile, encoding: .utf8)))

        // The root's CRL is served as the ceremony signed it.
        let shown = try await Tools.run(
            "signet", ["ca", "show", "--json", "--data", data.path], executable: SignetProcess.binary,
            environment: token.environment, timeout: 60)
        let rootID = try #require(
            ((try? JSONSerialization.jsonObject(with: Data(shown.output.utf8))) as? [String: Any]).flatMap {
                ($0["root"] as? [String: Any])?["id"] as? String
            }, "\(shown.output) \(shown.error)")
        let served = try await LiveClient(base: signet.base, key: nil).call(.GET, "/crl/\(rootID).crl")
        #expect(served.status == .ok)
        #expect(served.body == (try Data(contentsOf: crlFile)))

        // Nothing here signs for the root: OCSP about an issuing CA is `unauthorized` (the issuing
        // CAs' certificates name no OCSP responder; relying parties use the root's CRL).
        let ocspRequest = root.appendingPathComponent("ca.ocsp-request")
        let ocspResponse = root.appendingPathComponent("ca.ocsp-response")
        let asked = try await Tools.run(
            "openssl",
            [
                "ocsp", "-issuer", rootFile.path, "-cert", outputs.appendingPathComponent("tls.crt").path, "-no_nonce",
                "-reqout", ocspRequest.path,
            ], timeout: 60)
        #expect(asked.status == 0, "\(asked.error)")
        let answered = try await Tools.run(
            "curl",
            [
                "-s", "--data-binary", "@\(ocspRequest.path)", "-H", "Content-Type: application/ocsp-request", "-o",
                ocspResponse.path, "\(signet.base)/ocsp",
            ], timeout: 60)
        #expect(answered.status == 0, "\(answered.error)")
        #expect(Array(try Data(contentsOf: ocspResponse)) == [0x30, 0x03, 0x0A, 0x01, 0x06])
        #expect(!signet.output.contains(HSMTests.pin))
        signet.stop()

        // Later: a new TLS issuing CA and a CRL revoking the first, from the safe; `ca adopt` takes them.
        let next = root.appendingPathComponent("next")
        try FileManager.default.createDirectory(at: next, withIntermediateDirectories: true)
        let rotated = try await Self.ceremony(
            "tls.json",
            [
                "type": "intermediate", "family": "tls", "key": ["uri": uri("issuing-tls-2")],
                "signing_key": ["uri": uri("ceremony-root")], "issuer_certificate": "../ceremony/root.crt",
                "subject": subject("Signet Test issuing-tls-2"), "pki_url": Self.pki, "validity_days": 1825,
                "outputs": ["certificate": "tls.crt", "key_file": "tls.key", "transcript": "tls-transcript.json"],
            ], in: next, token: token)
        #expect(rotated.status == 0, "\(rotated.output) \(rotated.error)")
        let stale = try await Tools.run(
            "signet", ["ca", "adopt", outputs.path, "--data", data.path], executable: SignetProcess.binary,
            environment: token.environment, timeout: 60)
        #expect(stale.status != 0 && stale.error.contains("crl_number"), "the same CRL again: \(stale.output) \(stale.error)")
        let revoking = try await Self.ceremony(
            "crl.json",
            [
                "type": "crl", "signing_key": ["uri": uri("ceremony-root")], "issuer_certificate": "../ceremony/root.crt",
                "crl_number": 2, "validity_days": 365,
                "revoked": [
                    ["certificate": "../ceremony/old.crt", "reason": "keyCompromise"],
                    ["certificate": "../ceremony/tls.crt", "reason": "superseded"],
                ],
                "outputs": ["crl": "root.crl", "transcript": "crl-transcript.json"],
            ], in: next, token: token)
        #expect(revoking.status == 0, "\(revoking.output) \(revoking.error)")
        let adopted = try await Tools.run(
            "signet", ["ca", "adopt", next.path, "--data", data.path], executable: SignetProcess.binary,
            environment: token.environment, timeout: 60)
        #expect(adopted.status == 0 && adopted.output.contains("issuing CA for tls"), "\(adopted.output) \(adopted.error)")

        let restarted = try SignetProcess(
            data: data, arguments: ["--dcv", "always-valid", "--pki-url", Self.pki], environment: token.environment)
        defer { restarted.stop() }
        try await restarted.waitUntilServing()
        let second = try await LiveClient(base: restarted.base, key: try restarted.adminKey).call(
            .POST, "order/certificate/ssl_dv_geotrust",
            json: try TestData.dvOrder(commonName: "rotated.example.com"))
        let chain = second.chainPEMs
        let rotatedPEM = try String(contentsOf: next.appendingPathComponent("tls.crt"), encoding: .utf8)
        #expect(chain.count == 3 && chain[1] == rotatedPEM, "\(second.text)")
        let servedAgain = try await LiveClient(base: restarted.base, key: nil).call(.GET, "/crl/\(rootID).crl")
        #expect(servedAgain.body == (try Data(contentsOf: next.appendingPathComponent("root.crl"))))
    }

    @Test("A description with a PIN in it, or missing what its kind needs, is refused before the token is touched")
    func refusedDescriptions() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let token = try await HSMTests.Token(root: root)
        let withPIN = try await Self.ceremony(
            "pin.json",
            [
                "type": "root",
                "key": ["uri": "pkcs11:token=signet;object=r?module-path=\(HSMTests.module)&pin-value=\(HSMTests.pin)"],
                "subject": ["common_name": "R", "organization": "O", "country": "US"], "validity_days": 3650,
                "outputs": ["certificate": "r.crt", "transcript": "r.json"],
            ], in: root, token: token)
        #expect(withPIN.status != 0 && withPIN.error.contains("pin-source"), "\(withPIN.error)")
        #expect(!withPIN.error.contains(HSMTests.pin) && !withPIN.output.contains(HSMTests.pin))
        let incomplete = try await Self.ceremony(
            "crl.json", ["type": "crl", "validity_days": 30, "outputs": ["transcript": "t.json"]], in: root, token: token)
        #expect(incomplete.status != 0 && incomplete.error.contains("signing_key"), "\(incomplete.error)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("r.crt").path))
    }
}
