import Foundation
import Testing

/// A `signet serve` process ready for ACME clients: funded, with an External Account Binding key,
/// its HTTP checks pointed at `challengePort` and its TLS checks at `tlsPort` on loopback (where the
/// clients' own challenge servers listen), and its DNS at the tests' unbound.
struct ACMEServer {
    let signet: SignetProcess
    let challengePort: Int
    let tlsPort: Int
    let keyID: String
    let hmacKey: String
    let root: URL

    var directory: String { signet.base + "/acme/directory" }

    /// Another EAB key (a key binds one account).
    func externalAccountKey(_ arguments: [String] = [], databaseURL: String? = nil) async throws -> ACMEServer {
        let created = try await signet.administer(["acme", "eab", "create", "--json"] + arguments, databaseURL: databaseURL)
        let eab = try #require(
            (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: String],
            "\(created.output) \(created.error)")
        return ACMEServer(
            signet: signet, challengePort: challengePort, tlsPort: tlsPort, keyID: try #require(eab["key_id"]),
            hmacKey: try #require(eab["hmac_key"]), root: root)
    }

    static func start(
        _ root: URL, databaseURL: String? = nil, extraArguments: [String] = [], eabArguments: [String] = []
    ) async throws -> ACMEServer {
        let challengePort = try SignetProcess.freePort()
        var extraArguments = extraArguments
        let tlsPort: Int
        if let given = extraArguments.firstIndex(of: "--dcv-https-port"), let port = Int(extraArguments[given + 1]) {
            tlsPort = port
        } else {
            tlsPort = try SignetProcess.freePort()
            extraArguments += ["--dcv-https-port", String(tlsPort)]
        }
        let signet = try SignetProcess(
            data: root.appendingPathComponent("data"),
            arguments: [
                "--dcv-http-port", String(challengePort), "--allow-private-targets", "--pki-url", "http://pki.signet-test.com",
            ] + extraArguments,
            databaseURL: databaseURL)
        try await signet.waitUntilServing()
        let funded = try await signet.administer(["balance", "add", "100000"], databaseURL: databaseURL)
        #expect(funded.status == 0, "\(funded.error)")
        let created = try await signet.administer(["acme", "eab", "create", "--json"] + eabArguments, databaseURL: databaseURL)
        let eab = try #require(
            (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: String],
            "\(created.output) \(created.error)")
        return ACMEServer(
            signet: signet, challengePort: challengePort, tlsPort: tlsPort, keyID: try #require(eab["key_id"]),
            hmacKey: try #require(eab["hmac_key"]),
            root: root)
    }

    /// Runs certbot (PyPI) with its folders under the test's root, against this server.
    func certbot(_ arguments: [String], environment: [String: String] = [:]) async throws -> Tools.Result {
        let folder = root.appendingPathComponent("certbot")
        return try await Tools.run(
            "certbot",
            arguments + [
                "--server", directory, "--config-dir", folder.appendingPathComponent("config").path, "--work-dir",
                folder.appendingPathComponent("work").path, "--logs-dir", folder.appendingPathComponent("logs").path,
                "--non-interactive",
            ], environment: environment, timeout: 180)
    }

    /// Runs lego (Debian) with its folder under the test's root, bound by the EAB key.
    func lego(_ arguments: [String], command: [String], environment: [String: String] = [:]) async throws -> Tools.Result {
        try await Tools.run(
            "lego",
            [
                "--server", directory, "--path", root.appendingPathComponent("lego").path, "--email", "ops@example.com",
                "--accept-tos", "--eab", "--kid=\(keyID)",
                // A base64url key may begin with "-": joined, it is never read as a flag.
                "--hmac=\(hmacKey)",
            ] + arguments + command, environment: environment, timeout: 180)
    }

    /// The leaf of a PEM chain file, checked by `openssl verify` against the server's root and by pkilint.
    func judge(chainFile: URL) async throws -> String {
        let pems = Tools.pemBlocks(try String(contentsOf: chainFile, encoding: .utf8))
        #expect(pems.count >= 2, "\(chainFile.path): a leaf and its issuing CA")
        let root = try await LiveClient(base: signet.base, key: nil).call(.GET, "/ca/root.pem")
        let verdict = try await Tools.verify(leaf: pems[0], intermediate: pems[1], root: root.text)
        #expect(verdict.status == 0, "openssl verify: \(verdict.output) \(verdict.error)")
        let report = try #require(
            try await PKIJudge.judge([
                PKIJudge.Document(
                    linter: "lint_cabf_serverauth_cert", arguments: ["-d"], contents: Data(pems[0].utf8), label: "acme")
            ]).first)
        #expect(report.errors.isEmpty, "pkilint: \(report.output)")
        return pems[0]
    }
}
