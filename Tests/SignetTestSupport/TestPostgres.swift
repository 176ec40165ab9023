import Foundation
import Testing

/// The PostgreSQL the suite runs against when `SIGNET_TEST_DATABASE_URL` names one (an admin
/// connection URL; `.ci/run` starts a server and sets it). Each test server gets a database of its own.
enum TestPostgres {
    static var adminURL: String? {
        let value = ProcessInfo.processInfo.environment["SIGNET_TEST_DATABASE_URL"] ?? ""
        return value.isEmpty ? nil : value
    }

    static var isEnabled: Bool { adminURL != nil }

    /// A new, empty database; returns its URL.
    static func createDatabase() async throws -> String? {
        guard let adminURL else { return nil }
        let name = "signet_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let result = try await Tools.run("psql", [adminURL, "-q", "-c", "CREATE DATABASE \(name)"])
        guard result.status == 0 else { throw TestDNSError.missing("cannot create a test database: \(result.error)") }
        return url(for: name)
    }

    static func url(for database: String) -> String? {
        guard let adminURL, var components = URLComponents(string: adminURL) else { return nil }
        components.path = "/" + database
        return components.string
    }

    /// Drops a test's database in the background (cleanup, from `defer` blocks): nothing waits for it.
    static func dropDatabase(_ url: String) {
        guard let adminURL, let name = URLComponents(string: url)?.path.dropFirst(), !name.isEmpty else { return }
        Thread.detachNewThread {
            _ = try? Tools.runBlocking(
                "psql", [adminURL, "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"], input: nil, in: nil,
                executable: nil, environment: nil, timeout: 60)
        }
    }
}

/// A PostgreSQL server of a test's own (`initdb` into a temporary folder, `pg_ctl` on a loopback
/// port), for tests that stop and restart the database under a running Signet.
final class PostgresCluster: @unchecked Sendable {
    let folder: URL
    let port: Int
    private var data: String { folder.appendingPathComponent("data").path }

    private init(folder: URL, port: Int) {
        self.folder = folder
        self.port = port
    }

    static func create() async throws -> PostgresCluster {
        let cluster = PostgresCluster(folder: try Tools.temporaryDirectory(), port: try SignetProcess.freePort())
        if getuid() == 0 { _ = try await Tools.run("chown", ["-R", "postgres:postgres", cluster.folder.path]) }
        let created = try await postgres("initdb", ["-D", cluster.data, "-A", "trust", "-U", "postgres", "--no-sync"])
        guard created.status == 0 else { throw TestDNSError.missing("initdb failed: \(created.output) \(created.error)") }
        try await cluster.start()
        return cluster
    }

    var adminURL: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    func start() async throws {
        let options = "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off"
        let log = folder.appendingPathComponent("server.log").path
        // The server would inherit every descriptor of ours, among them the one by which Foundation
        // learns that a child has exited: start it from the system's Python
        // (the postgres user may not reach a user's own), whose subprocess closes them all.
        let detached =
            "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, "
            + "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)"
        let started = try await Self.postgres(
            "/usr/bin/python3", ["-c", detached, Self.binary("pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "start"])
        guard started.status == 0 else {
            throw TestDNSError.missing(
                "pg_ctl start failed: \(started.error) \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    /// Stops the server; `immediate` is a crash of PostgreSQL, `fast` a clean restart's first half.
    func stop(mode: String = "fast") async throws {
        _ = try await Self.postgres("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"])
    }

    func remove() async {
        try? await stop(mode: "immediate")
        try? FileManager.default.removeItem(at: folder)
    }

    func createDatabase(_ name: String) async throws -> String {
        let created = try await Tools.run("psql", [adminURL, "-q", "-c", "CREATE DATABASE \(name)"])
        guard created.status == 0 else { throw TestDNSError.missing("cannot create \(name): \(created.error)") }
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// PostgreSQL's server tools refuse to run as root: as root, they run as the `postgres` user.
    /// Off the cooperative pool, where waiting for a child's exit is reliable.
    private static func postgres(_ tool: String, _ arguments: [String]) async throws -> Tools.Result {
        let path = binary(tool)
        if getuid() == 0 { return try await Tools.run("runuser", ["-u", "postgres", "--", path] + arguments) }
        return try await Tools.run(path, arguments)
    }

    /// The tool on PATH, else in Debian's versioned folder.
    static func binary(_ tool: String) -> String {
        if tool.hasPrefix("/") { return tool }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(tool)") {
            return "\(folder)/\(tool)"
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: >)
        where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/\(tool)") {
            return "/usr/lib/postgresql/\(version)/bin/\(tool)"
        }
        return tool
    }
}
