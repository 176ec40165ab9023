import ArgumentParser
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetServer

/// `--data` and `--database-url`, shared by every command.
struct DataOption: ParsableArguments {
    @Option(name: .customLong("data"), help: "The data folder (env SIGNET_DATA).")
    var path: String = ProcessInfo.processInfo.environment["SIGNET_DATA"] ?? "./signet-data"

    @Option(
        help:
            "postgres://USER:PASSWORD@HOST:PORT/DATABASE selects PostgreSQL (env DATABASE_URL); default: SQLite in the data folder."
    )
    var databaseURL: String = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""

    func validate() throws {
        guard !path.trimmingWhitespace().isEmpty else { throw ValidationError("--data needs a folder") }
        if !databaseURL.isEmpty {
            let url = databaseURL
            guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
                components.host?.isEmpty == false, components.port.map({ (1...65_535).contains($0) }) ?? true
            else {
                throw ValidationError("--database-url (DATABASE_URL) must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE")
            }
        }
    }

    var configuration: SignetConfiguration {
        var configuration = SignetConfiguration()
        configuration.dataDirectory = URL(fileURLWithPath: path)
        configuration.databaseURL = databaseURL.isEmpty ? nil : databaseURL
        return configuration
    }
}

/// `--ca-key` values.
enum IssuingKeyTypeArgument: String, CaseIterable, ExpressibleByArgument {
    case p256
    case rsa2048
}

enum ValidationLevelArgument: String, CaseIterable, ExpressibleByArgument {
    case ov
    case ev
}

enum Switch: String, CaseIterable, ExpressibleByArgument {
    case on
    case off
}

extension DCVMode: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension ApprovalStep: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}

/// Runs an administrative command against the data folder's database.
func withStore(_ data: DataOption, _ body: (Administration) async throws -> Void) async throws {
    try await SignetApp.withAdministration(configuration: data.configuration, body)
}

/// Checks of flag values that are host names, URLs and ports, each a one-line error.
enum FlagCheck {
    static func port(_ value: Int, _ flag: String, allowZero: Bool = false) throws {
        guard ((allowZero ? 0 : 1)...65_535).contains(value) else {
            throw ValidationError("\(flag) must be a port from \(allowZero ? 0 : 1) to 65535, not \(value)")
        }
    }

    /// A host name in LDH syntax (reserved names such as `signet.invalid` are fine: it is not certified).
    static func hostName(_ value: String, _ flag: String) throws {
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            !value.isEmpty && value.utf8.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
            }
        guard valid else { throw ValidationError("\(flag) must be a lower-case domain name, not '\(value)'") }
    }

    static func positive(_ value: Double, _ flag: String, maximum: Double = 86_400) throws {
        guard value > 0, value <= maximum else {
            throw ValidationError("\(flag) must be a number of seconds above 0 and at most \(Int(maximum))")
        }
    }

    /// A base URL: http or https, a host, no query, fragment or credentials.
    static func baseURL(_ value: String, _ flag: String) throws {
        guard let url = URLComponents(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil,
            url.port.map({ (1...65_535).contains($0) }) ?? true
        else { throw ValidationError("\(flag) must be an http or https URL such as https://ca.example.com, not '\(value)'") }
    }
}
