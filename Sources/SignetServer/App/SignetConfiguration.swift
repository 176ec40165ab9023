import Foundation
import SignetPKI

/// How names and organizations count as validated.
public enum DCVMode: String, Sendable, CaseIterable {
    /// Names need a validated domain and OV/EV orders a validated organization.
    case checked
    /// Test-double mode: every name and organization counts as validated. Logged loudly at start.
    case alwaysValid = "always-valid"
}

/// Everything `signet serve` can be told, with the embedded defaults.
public struct SignetConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = URL(fileURLWithPath: "signet-data")
    /// The base URL baked into certificates (CRL, OCSP, CA issuers). Defaults to `http://host:port`.
    public var publicURL: String?
    public var dcvMode = DCVMode.checked
    public var issuingKeyType = IssuingKeyType.p256
    /// Seconds between background passes over pending orders.
    public var recheckInterval: TimeInterval = 5

    public init() {}

    public var effectivePublicURL: String { publicURL ?? "http://\(host):\(port)" }
    public var databasePath: String { dataDirectory.appendingPathComponent("signet.sqlite").path }
    public var caDirectory: URL { dataDirectory.appendingPathComponent("ca") }
    public var adminKeyPath: String { dataDirectory.appendingPathComponent("admin-api-key").path }
}
