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
    static func createDatabase() throws -> String? {
        guard let adminURL else { return nil }
        let name = "signet_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let result = try Tools.run("psql", [adminURL, "-q", "-c", "CREATE DATABASE \(name)"])
        guard result.status == 0 else { throw TestDNSError.missing("cannot create a test database: \(result.error)") }
        return url(for: name)
    }

    static func url(for database: String) -> String? {
        guard let adminURL, var components = URLComponents(string: adminURL) else { return nil }
        components.path = "/" + database
        return components.string
    }

    static func dropDatabase(_ url: String) {
        guard let adminURL, let name = URLComponents(string: url)?.path.dropFirst(), !name.isEmpty else { return }
        _ = try? Tools.run("psql", [adminURL, "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }
}
