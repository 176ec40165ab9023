import Foundation
import Testing

@testable import SignetTestSupport

/// CA keys on a PKCS#11 token (docs/hsm.md), tested with SoftHSM 2 from Debian: a token made for
/// the test, the CA's keys imported into it, the key files replaced by RFC 7512 URIs.
@Suite("CA keys on a PKCS#11 token")
struct HSMTests {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let pin = "87654321"

    /// A SoftHSM configuration and token of the test's own, under `root`.
    struct Token {
        let root: URL
        var environment: [String: String] { ["SOFTHSM2_CONF": root.appendingPathComponent("softhsm2.conf").path] }

        init(root: URL) async throws {
            self.root = root
            let tokens = root.appendingPathComponent("tokens")
            try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
            try "directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\n"
                .write(to: root.appendingPathComponent("softhsm2.conf"), atomically: true, encoding: .utf8)
            let made = try await Tools.run(
                "softhsm2-util", ["--init-token", "--free", "--label", "signet", "--so-pin", "12345678", "--pin", HSMTests.pin],
                environment: environment, timeout: 60)
            #expect(made.status == 0, "\(made.output) \(made.error)")
        }

        /// Moves the CA key `<name>.key` of `ca` onto the token under `label`, and leaves its URI in
        /// the key file instead; the PIN is read from `pinFile`.
        func adopt(_ name: String, of ca: URL, label: String, id: String, pinFile: URL) async throws {
            let key = ca.appendingPathComponent("\(name).key")
            let pkcs8 = root.appendingPathComponent("\(name).p8")
            let converted = try await Tools.run(
                "openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", key.path, "-out", pkcs8.path], timeout: 60)
            #expect(converted.status == 0, "\(converted.error)")
            let imported = try await Tools.run(
                "softhsm2-util",
                ["--import", pkcs8.path, "--token", "signet", "--label", label, "--id", id, "--pin", HSMTests.pin],
                environment: environment, timeout: 60)
            #expect(imported.status == 0, "\(imported.output) \(imported.error)")
            try FileManager.default.removeItem(at: pkcs8)
            try "pkcs11:token=signet;object=\(label)?module-path=\(HSMTests.module)&pin-source=file:\(pinFile.path)\n"
                .write(to: key, atomically: true, encoding: .utf8)
        }
    }

    @Test("Root and TLS issuing keys on the token: orders issue, CRLs and OCSP answers verify, and no PIN is shown")
    func issuingFromTheToken() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let token = try await Token(root: root)
        let data = root.appendingPathComponent("data")
        let initialized = try await Tools.run(
            "signet", ["init", "--data", data.path, "--pki-url", "http://pki.signet-test.com"], executable: SignetProcess.binary,
            timeout: 120)
        #expect(initialized.status == 0, "\(initialized.error)")
        let pinFile = root.appendingPathComponent("pin")
        try HSMTests.pin.write(to: pinFile, atomically: true, encoding: .utf8)
        let ca = data.appendingPathComponent("ca")
        try await token.adopt("root", of: ca, label: "signet-root", id: "01", pinFile: pinFile)
        try await token.adopt("tls", of: ca, label: "issuing-tls", id: "02", pinFile: pinFile)
        #expect(!(try String(contentsOf: ca.appendingPathComponent("tls.key"), encoding: .utf8)).contains("PRIVATE KEY"))

        let signet = try SignetProcess(
            data: data, arguments: ["--dcv", "always-valid", "--pki-url", "http://pki.signet-test.com"],
            environment: token.environment)
        defer { signet.stop() }
        try await signet.waitUntilServing()
        #expect(try await signet.administer(["balance", "add", "10000"]).status == 0)
        let pems = try await signet.placeVerifiedDVOrder(commonName: "hsm.example.com")

        let report = try #require(
            try await PKIJudge.judge([
                PKIJudge.Document(
                    linter: "lint_cabf_serverauth_cert", arguments: ["-d"], contents: Data(pems[0].utf8), label: "hsm")
            ]).first)
        #expect(report.errors.isEmpty, "pkilint: \(report.output)")

        // 32 orders at once through the token key: every certificate verifies, every serial is its own.
        let client = LiveClient(base: signet.base, key: try signet.adminKey)
        let serials = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<32 {
                group.addTask {
                    let name = "c\(index).hsm.example.com"
                    let answer = try await client.call(
                        .POST, "order/certificate/ssl_dv_geotrust",
                        json: try TestData.dvOrder(commonName: name))
                    guard let id = answer.json["id"] as? Int, answer.json["certificate_chain"] != nil else { return nil }
                    let info = try await client.call(.GET, "order/certificate/\(id)")
                    return (info.json["certificate"] as? [String: Any])?["serial_number"] as? String
                }
            }
            var serials: [String?] = []
            for try await serial in group { serials.append(serial) }
            return serials
        }
        #expect(serials.count == 32 && serials.allSatisfy { $0 != nil }, "\(serials)")
        #expect(Set(serials.compactMap { $0 }).count == 32, "unique serials")

        // The root's CRL is signed by the root key on the token; openssl checks it against the root.
        let shown = try await Tools.run(
            "signet", ["ca", "show", "--json", "--data", data.path], executable: SignetProcess.binary,
            environment: token.environment, timeout: 60)
        let rootID = try #require(
            ((try? JSONSerialization.jsonObject(with: Data(shown.output.utf8))) as? [String: Any]).flatMap {
                ($0["root"] as? [String: Any])?["id"] as? String
            }, "\(shown.output) \(shown.error)")
        let crl = try await LiveClient(base: signet.base, key: nil).call(.GET, "/crl/\(rootID).crl")
        #expect(crl.status == .ok, "\(crl.text)")
        let crlFile = root.appendingPathComponent("root.crl")
        try crl.body.write(to: crlFile)
        let rootFile = root.appendingPathComponent("root.pem")
        try pems[2].write(to: rootFile, atomically: true, encoding: .utf8)
        let crlVerdict = try await Tools.run(
            "openssl", ["crl", "-inform", "DER", "-in", crlFile.path, "-CAfile", rootFile.path, "-noout"], timeout: 60)
        #expect(crlVerdict.status == 0 && crlVerdict.error.contains("verify OK"), "\(crlVerdict.output) \(crlVerdict.error)")

        #expect(!signet.output.contains(HSMTests.pin), "the PIN never appears in a log line")
    }

    @Test("A wrong PIN, a missing token or a key of another certificate is a clear start-up error without the PIN")
    func startUpFailures() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let token = try await Token(root: root)
        let data = root.appendingPathComponent("data")
        _ = try await Tools.run("signet", ["init", "--data", data.path], executable: SignetProcess.binary, timeout: 120)
        let ca = data.appendingPathComponent("ca")
        let original = try String(contentsOf: ca.appendingPathComponent("tls.key"), encoding: .utf8)
        let pinFile = root.appendingPathComponent("pin")
        try HSMTests.pin.write(to: pinFile, atomically: true, encoding: .utf8)
        try await token.adopt("tls", of: ca, label: "issuing-tls", id: "02", pinFile: pinFile)
        let uri = try String(contentsOf: ca.appendingPathComponent("tls.key"), encoding: .utf8)

        func serve() async throws -> Tools.Result {
            try await Tools.run(
                "signet", ["serve", "--data", data.path, "--port", String(try SignetProcess.freePort())],
                executable: SignetProcess.binary, environment: token.environment, timeout: 60)
        }
        try "11112222".write(to: pinFile, atomically: true, encoding: .utf8)
        let wrongPIN = try await serve()
        #expect(wrongPIN.status != 0 && wrongPIN.error.contains("refused the PIN"), "\(wrongPIN.error)")
        #expect(!wrongPIN.error.contains("11112222") && !wrongPIN.output.contains("11112222"))

        try HSMTests.pin.write(to: pinFile, atomically: true, encoding: .utf8)
        try uri.replacingOccurrences(of: "token=signet", with: "token=elsewhere")
            .write(to: ca.appendingPathComponent("tls.key"), atomically: true, encoding: .utf8)
        let missing = try await serve()
        #expect(missing.status != 0 && missing.error.contains("No token matches"), "\(missing.error)")

        // The S/MIME CA's certificate with the TLS CA's key on the token: refused, not served.
        _ = original
        try uri.write(to: ca.appendingPathComponent("smime.key"), atomically: true, encoding: .utf8)
        try uri.write(to: ca.appendingPathComponent("tls.key"), atomically: true, encoding: .utf8)
        let foreign = try await serve()
        #expect(foreign.status != 0 && foreign.error.contains("does not belong to its CA certificate"), "\(foreign.error)")
    }

    @Test("signet init and ca rotate generate keys on the token (root and TLS there, S/MIME in a file); orders issue under each")
    func keysMadeOnTheToken() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let token = try await Token(root: root)
        let pinFile = root.appendingPathComponent("pin")
        try HSMTests.pin.write(to: pinFile, atomically: true, encoding: .utf8)
        func key(_ name: String, _ label: String) -> [String] {
            [
                "--key",
                "\(name)=pkcs11:token=signet;object=\(label)?module-path=\(HSMTests.module)&pin-source=file:\(pinFile.path)",
            ]
        }
        let data = root.appendingPathComponent("data")
        let initialized = try await Tools.run(
            "signet", ["init", "--data", data.path] + key("root", "root-2026") + key("tls", "tls-e1"),
            executable: SignetProcess.binary, environment: token.environment, timeout: 120)
        #expect(initialized.status == 0, "\(initialized.output) \(initialized.error)")
        let ca = data.appendingPathComponent("ca")
        for name in ["root", "tls"] {
            let text = try String(contentsOf: ca.appendingPathComponent("\(name).key"), encoding: .utf8)
            #expect(text.hasPrefix("pkcs11:") && !text.contains(HSMTests.pin), "\(name).key: \(text)")
        }
        #expect(try String(contentsOf: ca.appendingPathComponent("smime.key"), encoding: .utf8).contains("PRIVATE KEY"))
        let objects = try await Tools.run(
            "softhsm2-util", ["--show-slots"], environment: token.environment, timeout: 60)
        #expect(objects.status == 0)

        func issue(_ name: String) async throws -> [String] {
            let signet = try SignetProcess(data: data, arguments: ["--dcv", "always-valid"], environment: token.environment)
            defer { signet.stop() }
            try await signet.waitUntilServing()
            _ = try await signet.administer(["balance", "add", "100"])
            return try await signet.placeVerifiedDVOrder(commonName: name)
        }
        let first = try await issue("first.hsm.example.com")

        // A rotation makes the new TLS issuing key on the token too; the root on the token signs it.
        let rotated = try await Tools.run(
            "signet", ["ca", "rotate", "--data", data.path] + key("tls", "tls-e2"), executable: SignetProcess.binary,
            environment: token.environment, timeout: 120)
        #expect(rotated.status == 0, "\(rotated.output) \(rotated.error)")
        let second = try await issue("second.hsm.example.com")
        #expect(first.count == 3 && second.count == 3 && first[1] != second[1], "a new issuing CA")
        #expect(first.count == 3 && second.count == 3 && first[2] == second[2], "the same root")
    }

    @Test(
        "A token that goes away: new orders get 503 in each dialect's format, nothing charged; the accepted one issues when it is back"
    )
    func tokenAway() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let token = try await Token(root: root)
        let data = root.appendingPathComponent("data")
        _ = try await Tools.run("signet", ["init", "--data", data.path], executable: SignetProcess.binary, timeout: 120)
        let pinFile = root.appendingPathComponent("pin")
        try HSMTests.pin.write(to: pinFile, atomically: true, encoding: .utf8)
        try await token.adopt("tls", of: data.appendingPathComponent("ca"), label: "issuing-tls", id: "02", pinFile: pinFile)
        let signet = try SignetProcess(
            data: data, arguments: ["--dcv", "always-valid", "--signing-lease", "1", "--recheck-interval", "0.5"],
            environment: token.environment)
        defer { signet.stop() }
        try await signet.waitUntilServing()
        #expect(try await signet.administer(["balance", "add", "1000"]).status == 0)
        let client = LiveClient(base: signet.base, key: try signet.adminKey)
        let keys = try await signet.administer(["reseller-key", "create", "--name", "shop"])
        let fields = Dictionary(
            uniqueKeysWithValues: keys.output.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            })
        let reseller = ResellerClient(
            base: signet.base, accessKey: try #require(fields["accessKeyId"]), secret: try #require(fields["accessKeySecret"]))
        func order(_ name: String) async throws -> TestResponse {
            try await client.call(
                .POST, "order/certificate/ssl_dv_geotrust",
                json: try TestData.dvOrder(commonName: name))
        }
        func balance() async throws -> String { try await client.call(.GET, "finance/balance").json["balance"] as? String ?? "" }
        #expect(try await order("before.example.com").json["certificate_chain"] != nil)

        let tokens = root.appendingPathComponent("tokens")
        let away = root.appendingPathComponent("tokens-away")
        try FileManager.default.moveItem(at: tokens, to: away)
        // The first order after it left is accepted (the server learns only when it signs) and waits.
        let waiting = try await order("waiting.example.com")
        #expect(waiting.status == .created && waiting.json["certificate_chain"] == nil, "\(waiting.text)")
        let waitingID = try #require(waiting.json["id"] as? Int)
        let charged = try await balance()
        let refused = try await order("refused.example.com")
        #expect(refused.status == .serviceUnavailable, "\(refused.text)")
        #expect((refused.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "service_unavailable")
        #expect(refused.headers.first(name: "Retry-After") != nil)
        #expect(try await balance() == charged, "nothing charged for the refused order")
        let resellerRefused = try await reseller.call(
            "certificate/create",
            ResellerTests.createBody(
                zone: "refused.example.com", csr: try TestData.csr(), choices: ["www.refused.example.com": "dns"]))
        #expect(
            resellerRefused.status == 503 && !resellerRefused.success && resellerRefused.message == "SERVICE_UNAVAILABLE",
            "\(resellerRefused.text)")
        #expect(try await balance() == charged)
        // ACME: finalize answers 503 `serverInternal` (RFC 8555 problem, Retry-After) while the key is away;
        // the order keeps its valid authorization and can be finalized later.
        func acme(_ scenario: String, _ name: String, state: String) async throws -> [String: Any] {
            let created = try await signet.administer(["acme", "eab", "create", "--json"])
            let eab = try #require(
                (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: String], "\(created.output)")
            let server = ACMEServer(
                signet: signet, challengePort: try SignetProcess.freePort(), tlsPort: 0, keyID: try #require(eab["key_id"]),
                hmacKey: try #require(eab["hmac_key"]), root: root)
            return try await ACMELibraryTests.scenario(server, scenario, [name, String(server.challengePort)], state: state)
        }
        let acmeRefused = try await acme("finalize-unavailable", "acme-refused.example.com", state: "refused")
        let problem = acmeRefused["error"] as? [String: Any]
        #expect(problem?["type"] as? String == "urn:ietf:params:acme:error:serverInternal", "\(acmeRefused)")
        #expect((problem?["detail"] as? String)?.contains("signing key") == true, "\(acmeRefused)")
        #expect(acmeRefused["after"] as? String == "valid", "the refused finalize ends nothing: \(acmeRefused)")

        try FileManager.default.moveItem(at: away, to: tokens)
        let issued = try await Tools.eventually(within: 30, every: 0.5) {
            try await client.call(.GET, "order/certificate/\(waitingID)").json["status"] as? String == "issued"
        }
        #expect(issued, "the accepted order is signed once the token is back")
        let after = try await order("after.example.com")
        #expect(after.status == .created && after.json["certificate_chain"] != nil, "\(after.text)")
        let acmeIssued = try await acme("issue", "acme-after.example.com", state: "after")
        #expect((acmeIssued["chain"] as? String)?.contains("BEGIN CERTIFICATE") == true, "\(acmeIssued)")
        #expect(!signet.output.contains(HSMTests.pin))
    }
}
