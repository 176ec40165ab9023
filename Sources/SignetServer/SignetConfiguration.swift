import Foundation
import SignetHSM
import SignetHTTP
import SignetPKI
import SignetRA
import SignetValidation

/// Everything `signet serve` can be told, with the embedded defaults.
public struct SignetConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = URL(fileURLWithPath: "signet-data")
    /// `postgres://user:password@host:port/database` selects PostgreSQL (`--database-url`, env
    /// `DATABASE_URL`); without it, the SQLite file in the data folder.
    public var databaseURL: String?
    /// The server's base URL, as clients and e-mailed links reach it (`--public-url`); `http://host:port` by default.
    public var publicURL: String?
    /// The base of the addresses certificates point to for CRLs, OCSP and issuer certificates
    /// (`--pki-url`). Always http (BR 7.1.2.11.2): by default the public URL's host over http, so that
    /// an operator behind a TLS proxy (`--public-url https://…`) still gets http PKI addresses.
    public var pkiURL: String?
    /// Who a new CA says it is (`--ca-country`, `--ca-organization`).
    public var caIdentity = CAIdentity()
    public var dcvMode = DCVMode.checked
    /// The issuing key of a new CA (`--ca-key`, P-256 when not given); an existing CA keeps its own,
    /// and naming another one for it is an error rather than silently ignored.
    public var issuingKeyType: IssuingKeyType?
    /// How long `serve` lets requests in flight finish after SIGTERM before it closes the database.
    public var drainTimeout: TimeInterval = 30
    /// Seconds between background passes over pending orders.
    public var recheckInterval: TimeInterval = 5
    /// How long a reserved signature may stay unrecorded before the background pass signs the
    /// certificate again under a new serial (``RegistrationAuthority/signingLease``).
    public var signingLease: TimeInterval = 60

    // MARK: domain control validation
    /// The DNS server to ask (`--dns-server`); `/etc/resolv.conf`'s first name server when `nil`.
    public var dnsServer: NameServer?
    /// How long each DNS answer may take (`--dns-timeout`); a lookup asks twice before it fails.
    public var dnsTimeout: TimeInterval = 2
    /// Ports HTTP validation connects to (`--dcv-http-port`, `--dcv-https-port`); tests point them at loopback servers.
    public var dcvHTTPPort = 80
    public var dcvHTTPSPort = 443
    /// Where validation e-mail goes (`--smtp-url smtp://HOST:PORT`); without it, only to the outbox.
    public var smtpURL: String?
    /// The sender of validation e-mail (`--mail-from`).
    public var mailFrom: String?
    /// The issuer domain name that CAA `issue` records must name to allow Signet (`--caa-identity`).
    public var caaIdentity = "signet.invalid"
    /// CertCentral TLS products offered to ACME clients as profiles of their own (`--acme-products`).
    public var acmeProductProfiles: [String] = []
    /// Serves the test double's management API under `/test-double` and runs on a clock it can move
    /// (`--ephemeral`, `--test-double-api`; docs/test-double.md).
    public var testDouble = false
    /// A test double given a CA to pin (`--ephemeral --ca-from`): a new database may start beside it,
    /// which otherwise means a database that lost its contents.
    public var adoptsCertificateAuthority = false
    /// The zone `dns-cname-token` records point into (`--dcv-cname-zone`); `dcv.<caa identity>` by default.
    public var dcvCNAMEZone: String?
    /// Overrides the domain validation reuse period (199 days in 2026) (`--domain-reuse-days`).
    public var domainReuseDays: Int?
    /// First delay between background DCV re-checks of an order, doubling up to an hour (`--dcv-recheck-base`).
    public var dcvRecheckBase: TimeInterval = 30

    // MARK: reseller dialect
    /// The brand domain in Sectigo-style DCV values (`--reseller-dcv-brand`).
    public var resellerDCVBrand = "comodoca.com"
    /// Whether outbound requests (HTTP validation, notify_url callbacks) may go to loopback and
    /// private addresses (`--allow-private-targets`; tests, closed networks).
    public var allowPrivateTargets = false
    /// First delay before a failed callback is retried, growing to hours for a day (`--callback-retry-base`).
    public var callbackRetryBase: TimeInterval = 60

    /// Requests per API key, in both dialects (`--rate-limit`): CertCentral's documented limits by default.
    public var rateLimit = RateLimitPolicy.certCentral
    /// Keys a new CA (or a rotation) keeps on a PKCS#11 token, by name (`--key root=pkcs11:…`; docs/hsm.md).
    public var tokenKeys: [String: PKCS11URI] = [:]
    /// `init --ca-from`: a new CA is installed from these ceremony outputs, its root offline.
    public var ceremonyOutputs: URL?
    /// How log lines are written (`--log-format`).
    public var logFormat = LogFormat.text
    /// Whether `/metrics` serves Prometheus' text format (`--metrics off` turns it off).
    public var metrics = true
    /// Whether each request writes an access line (`--access-log off` turns it off).
    public var accessLog = true

    /// Where the listener's TLS certificate comes from: none (plain HTTP, the default), PEM files
    /// (`--tls-cert`, `--tls-key`), or Signet's own CA (`--tls self`).
    public enum TLSSource: Sendable, Equatable {
        case files(certificate: String, key: String)
        case selfIssued
    }

    public var tls: TLSSource?

    public init() {}

    public var effectivePublicURL: String { publicURL ?? "\(tls == nil ? "http" : "https")://\(host):\(port)" }

    /// The PKI base: `--pki-url`, or the public URL over http (an https public URL loses its port,
    /// which belonged to TLS).
    public var effectivePKIURL: String {
        if let pkiURL { return pkiURL }
        guard var components = URLComponents(string: effectivePublicURL), components.scheme?.lowercased() == "https" else {
            return effectivePublicURL
        }
        components.scheme = "http"
        components.port = nil
        return components.string ?? effectivePublicURL
    }

    /// How a new CA is made from this configuration.
    public var caSettings: CASettings {
        CASettings(
            issuingKeyType: issuingKeyType ?? .p256, identity: caIdentity, endpoints: PKIEndpoints(base: effectivePKIURL),
            tokenKeys: tokenKeys, ceremonyOutputs: ceremonyOutputs)
    }

    /// A database URL without its password, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "the PostgreSQL database"
    }
    public var databasePath: String { dataDirectory.appendingPathComponent("signet.sqlite").path }
    public var caDirectory: URL { dataDirectory.appendingPathComponent("ca") }
    public var adminKeyPath: String { dataDirectory.appendingPathComponent("admin-api-key").path }
    public var effectiveMailFrom: String { mailFrom ?? "dcv@\(caaIdentity)" }
    public var effectiveCNAMEZone: String { dcvCNAMEZone ?? "dcv.\(caaIdentity)" }
}
