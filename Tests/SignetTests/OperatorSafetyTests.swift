import Foundation
import Testing

#if canImport(Glibc)
import Glibc
@testable import SignetTestSupport
#endif

/// What a new operator can get wrong, tried with the real binary: data folders, flags, messages, shutdown.
@Suite("Operator safety", .serialized)
struct OperatorSafetyTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    @Test(
        "Everything in the data folder is its owner's alone: an existing 0755 folder and 0644 files are tightened at start, with a log line"
    )
    func filesAreTightened() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Asking for help is not a mistake: ArgumentParser's help, on standard output, status 0.
        for arguments in [["help"], ["--help"], ["help", "serve"]] {
            let help = try await Tools.run("signet", arguments, executable: SignetProcess.binary)
            #expect(help.status == 0, "\(arguments): \(help.error)")
            #expect(help.output.contains("USAGE: signet"), "\(arguments): \(help.output)")
            #expect(!help.error.contains("Error:"), "\(arguments): \(help.error)")
        }

        let data = root.appendingPathComponent("data")
        let database = try await TestPostgres.createDatabase()
        defer { database.map(TestPostgres.dropDatabase) }
        var server = try SignetProcess(data: data, databaseURL: database)
        try await server.waitUntilServing()
        await server.stopAndWait()
        chmod(data.path, 0o755)
        #expect(FileManager.default.createFile(atPath: data.appendingPathComponent("notes.txt").path, contents: Data("x".utf8)))
        chmod(data.appendingPathComponent("notes.txt").path, 0o644)
        if database == nil { chmod(data.appendingPathComponent("signet.sqlite").path, 0o644) }

        server = try SignetProcess(data: data, databaseURL: database)
        defer { server.stop() }
        try await server.waitUntilServing()
        #expect(server.output.contains("tightened permissions in \(data.path)"), "\(server.output)")
        #expect(Self.mode(data.path) == 0o700)
        var files = [
            "notes.txt", "admin-api-key", "reseller-secrets.key", "ca/root.key", "ca/tls.key", "ca/smime.key", "ca/root.crt",
        ]
        if database == nil { files += ["signet.sqlite", "signet.sqlite-wal", "signet.sqlite-shm"] }
        for file in files {
            #expect(
                Self.mode(data.appendingPathComponent(file).path) == 0o600,
                "\(file): \(String(Self.mode(data.appendingPathComponent(file).path), radix: 8))")
        }
        #expect(Self.mode(data.appendingPathComponent("ca").path) == 0o700)
    }

    @Test(
        "A database that lost its contents (copied without its -wal file, or an empty DATABASE_URL) beside an existing CA refuses to start"
    )
    func emptyDatabaseBesideTheCA() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let original = root.appendingPathComponent("original")
        let database = try await TestPostgres.createDatabase()
        defer { database.map(TestPostgres.dropDatabase) }
        let server = try SignetProcess(data: original, databaseURL: database)
        defer { server.stop() }
        try await server.waitUntilServing()
        // The copy an operator might make of a running installation: every file but the -wal. (While
        // the server runs, its writes since the last checkpoint are in the -wal alone; a CLI command's
        // clean stop would checkpoint them into the main file.)
        let copy = root.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for item in try FileManager.default.contentsOfDirectory(atPath: original.path)
        where !item.hasSuffix("-wal") && !item.hasSuffix("-shm") {
            try FileManager.default.copyItem(at: original.appendingPathComponent(item), to: copy.appendingPathComponent(item))
        }
        let emptyDatabase = database == nil ? nil : try await TestPostgres.createDatabase()
        defer { emptyDatabase.map(TestPostgres.dropDatabase) }
        let adminKey = try String(contentsOf: copy.appendingPathComponent("admin-api-key"), encoding: .utf8)
        let restarted = try await Tools.run(
            "signet", ["serve", "--data", copy.path, "--port", "0", "--dns-server", try TestDNS.shared.server.description],
            executable: SignetProcess.binary, environment: emptyDatabase.map { ["DATABASE_URL": $0] }, timeout: 60)
        #expect(restarted.status != 0 && restarted.status != -1, "it must refuse, not serve: \(restarted.error)")
        #expect(restarted.error.contains("holds a CA that has issued certificates, but the database"), "\(restarted.error)")
        #expect(restarted.error.contains("-wal"))
        #expect(
            try String(contentsOf: copy.appendingPathComponent("admin-api-key"), encoding: .utf8) == adminKey,
            "no new administrator")
    }

    @Test(
        "Administrative commands never create a data folder; flags are checked at start; errors are sentences with the command's usage"
    )
    func commandLineMistakes() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let mistyped = root.appendingPathComponent("signet-dta")
        let typo = try await Tools.run(
            "signet", ["org", "validate", "1", "--data", mistyped.path], executable: SignetProcess.binary)
        #expect(typo.status == 1)
        #expect(typo.error.contains("Error: There is no Signet installation in \(mistyped.path)."), "\(typo.error)")
        #expect(typo.error.contains("Usage: signet org validate"), "\(typo.error)")
        #expect(!FileManager.default.fileExists(atPath: mistyped.path), "an admin command created a data folder")

        let data = root.appendingPathComponent("data")
        let database = try await TestPostgres.createDatabase()
        defer { database.map(TestPostgres.dropDatabase) }
        let environment = database.map { ["DATABASE_URL": $0] }
        let initialized = try await Tools.run(
            "signet", ["init", "--data", data.path], executable: SignetProcess.binary, environment: environment)
        #expect(initialized.status == 0, "\(initialized.error)")
        #expect(initialized.output.contains("root CA: CN=Signet Root CA"))
        let missing = try await Tools.run(
            "signet", ["org", "validate", "99", "--data", data.path], executable: SignetProcess.binary, environment: environment)
        #expect(missing.error.hasPrefix("Error: There is no organization 99.\nUsage: signet org validate"), "\(missing.error)")
        #expect(!missing.error.contains("organizationNotFound"))

        for (flags, message) in [
            (["--port", "70000"], "--port must be a port from 0 to 65535"),
            (["--smtp-url", "http://x"], "--smtp-url must look like smtp://HOST:PORT"),
            (["--public-url", "not a url"], "--public-url must be an http or https URL"),
            (["--dns-server", "127.0.0.1:99999"], "--dns-server must be HOST or HOST:PORT"),
            (["--rate-limit", "lots"], "--rate-limit must be 'off' or windows"),
            (["--domain-reuse-days", "1000"], "--domain-reuse-days must be 1 to 398"),
            (["--ca-key", "rsa2048"], "--ca-key rsa2048 applies to a new CA only"),
        ] {
            let refused = try await Tools.run(
                "signet", ["serve", "--data", data.path] + flags, executable: SignetProcess.binary, environment: environment,
                timeout: 60)
            #expect(refused.status != 0 && refused.status != -1, "\(flags) must be refused: \(refused.error)")
            #expect(refused.error.hasPrefix("Error: \(message)"), "\(flags): \(refused.error)")
            #expect(refused.error.contains("serve"), "the usage of serve: \(refused.error)")
        }
    }

    @Test("SIGTERM drains: a request in flight finishes with its real answer before the database closes")
    func shutdownDrains() async throws {
        let web = try await TestWebServer()
        defer { web.stop() }
        let zone = TestDNS.uniqueZone()
        try await TestDNS.shared.add(["slow.\(zone). A 127.0.0.1"])
        try web.serve("3", host: "slow.\(zone)", path: "/.well-known/pki-validation/fileauth.txt", suffix: ".sleep")
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let database = try await TestPostgres.createDatabase()
        defer { database.map(TestPostgres.dropDatabase) }
        let server = try SignetProcess(
            data: root.appendingPathComponent("data"),
            arguments: ["--allow-private-targets", "--dcv-http-port", String(web.port), "--dcv-https-port", String(web.port)],
            databaseURL: database)
        defer { server.stop() }
        try await server.waitUntilServing()
        let admin = LiveClient(base: server.base, key: try server.adminKey)
        await #expect(try server.administer(["balance", "add", "1000"], databaseURL: database).status == 0)
        let organization = try await admin.call(.POST, "organization", json: TestData.organization())
        let organizationID = try #require(organization.json["id"] as? Int)
        await #expect(try server.administer(["org", "validate", String(organizationID)], databaseURL: database).status == 0)
        var body = TestData.secureSiteOrder(
            csr: try TestData.csr(), organizationID: organizationID, commonName: "slow.\(zone)", dnsNames: [])
        body["dcv_method"] = "http-token"
        let placed = try await admin.call(.POST, "order/certificate/ssl_basic", json: body)
        let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")

        let check = Task { try await admin.call(.PUT, "order/certificate/\(orderID)/check-dcv") }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        kill(server.process.processIdentifier, SIGTERM)
        let answer = try await check.value
        #expect(
            answer.status == .badRequest, "the check in flight must finish with its own answer: \(answer.status) \(answer.text)")
        #expect(answer.errorCode == "file_random_value_not_found", "\(answer.text)")
        #expect(try await Tools.eventually(within: 40) { !server.process.isRunning }, "the server did not stop")
        #expect(server.output.contains("draining requests in flight"))
    }

    @Test("The tests' process runner reads standard output and error at once: a chatty child cannot block it")
    func processRunnerReadsBothPipes() async throws {
        let script = "import sys; sys.stderr.write('e' * 2_000_000); sys.stderr.flush(); sys.stdout.write('o' * 2_000_000)"
        let result = try await Tools.run("python3", ["-c", script], timeout: 60)
        #expect(result.status == 0)
        #expect(result.output.count == 2_000_000 && result.error.count == 2_000_000)
    }
}
