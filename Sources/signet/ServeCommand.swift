import ArgumentParser
import Foundation
import SignetCore
import SignetHSM
import SignetHTTP
import SignetPKI
import SignetRA
import SignetServer
import SignetValidation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Signet server.")

    @Option(help: "Address to listen on (env SIGNET_HOST).")
    var host: String = ProcessInfo.processInfo.environment["SIGNET_HOST"] ?? "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on, 0 for any free port (env SIGNET_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["SIGNET_PORT"] ?? "") ?? 8080

    @OptionGroup var data: DataOption

    @Flag(
        help:
            "Test double: a throwaway data folder, database and CA, the management API under /test-double, and one JSON line when ready (docs/test-double.md)."
    )
    var ephemeral = false

    @Option(help: "With --ephemeral: write the ready line to this file (0600) instead of standard output.")
    var readyFile: String?

    @Option(
        help:
            "With --ephemeral: copy the CA from this folder (a data folder's ca/), so that a suite's trust anchor stays the same."
    )
    var caFrom: String?

    @Flag(help: "Serve the test double's management API and clock on a data folder of your own (without --ephemeral).")
    var testDoubleApi = false

    @Option(
        name: .customLong("public-url"),
        help: "Base URL of the server, put in certificates (CRL, OCSP, CA issuers) and e-mailed links (env SIGNET_PUBLIC_URL).")
    var givenPublicURL: String = ProcessInfo.processInfo.environment["SIGNET_PUBLIC_URL"] ?? ""

    var publicURL: String? { givenPublicURL.isEmpty ? nil : givenPublicURL }

    @OptionGroup var pki: PKIOptions

    @Option(help: "checked (default) or always-valid: a test double in which every name counts as validated.")
    var dcv: DCVMode = .checked

    @Option(parsing: .unconditional, help: "Seconds between background passes over pending orders.")
    var recheckInterval: Double = 5

    @Option(help: "DNS server for validation and CAA, HOST:PORT (default: the first nameserver of /etc/resolv.conf).")
    var dnsServer: String?

    @Option(parsing: .unconditional, help: "Seconds to wait for each DNS answer, asked twice before a lookup fails (default 2).")
    var dnsTimeout: Double = 2

    @Option(parsing: .unconditional, help: "Port that http-token validation connects to (default 80).")
    var dcvHttpPort: Int = 80

    @Option(parsing: .unconditional, help: "Port that HTTPS validation connects to (default 443).")
    var dcvHttpsPort: Int = 443

    @Option(help: "SMTP relay for validation e-mail, smtp://HOST:PORT (default: write to the outbox only).")
    var smtpUrl: String?

    @Option(help: "Sender of validation e-mail (default dcv@<caa identity>).")
    var mailFrom: String?

    @Option(help: "The issuer domain that CAA issue records must name to allow Signet.")
    var caaIdentity: String = "signet.invalid"

    @Option(
        help:
            "CertCentral TLS products ACME clients may choose as profiles of their own, comma-separated (e.g. ssl_basic,ssl_securesite_pro)."
    )
    var acmeProducts: String?

    @Option(help: "Zone that dns-cname-token records point into (default dcv.<caa identity>).")
    var dcvCnameZone: String?

    @Option(
        parsing: .unconditional,
        help: "Days a domain validation is reused (default: the CA/B Forum period in force, 199 days in 2026).")
    var domainReuseDays: Int?

    @Option(
        parsing: .unconditional, help: "Seconds before the first background re-check of an order's DCV; doubles up to an hour.")
    var dcvRecheckBase: Double = 30

    @Option(
        parsing: .unconditional,
        help:
            "Seconds a reserved signature may stay unrecorded before it is signed again under a new serial (a slow HSM needs more)."
    )
    var signingLease: Double = 60

    @Option(help: "Brand domain in the reseller dialect's Sectigo-style DCV values.")
    var resellerDcvBrand: String = "comodoca.com"

    @Flag(
        name: [.customLong("allow-private-targets"), .customLong("allow-private-callbacks")],
        help: "Let HTTP validation and notify_url callbacks connect to loopback and private addresses (tests, closed networks).")
    var allowPrivateTargets = false

    @Option(
        parsing: .unconditional,
        help: "Seconds before a failed callback is retried; later retries wait 5, 15, 60, 360 and 720 times as long, for a day.")
    var callbackRetryBase: Double = 60

    @Option(help: "Requests per API key: 'off', or windows such as 100/5s,1000/5m (CertCentral's limits, the default).")
    var rateLimit: String = RateLimitPolicy.certCentral.argument

    @Option(help: "How log lines are written to standard error: text or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "GET /metrics in Prometheus' text format on the main listener: on or off.")
    var metrics: Switch = .on

    @Option(help: "One access line per request (method, route, status, duration, key id, request id, client): on or off.")
    var accessLog: Switch = .on

    @Option(
        parsing: .unconditional,
        help: "Seconds that requests in flight may take to finish after SIGTERM before the database closes.")
    var drainTimeout: Double = 30

    @Option(help: "PEM file of the listener's TLS certificate chain (with --tls-key): serve HTTPS.")
    var tlsCert: String?

    @Option(help: "PEM file of the listener's TLS private key (with --tls-cert).")
    var tlsKey: String?

    @Option(help: "self: serve HTTPS with a certificate Signet's own CA issues for the public URL's host (kept in <data>/tls/).")
    var tls: String?

    func validate() throws {
        guard !host.isEmpty else { throw ValidationError("--host needs an address") }
        try FlagCheck.port(port, "--port", allowZero: true)
        if let publicURL { try FlagCheck.baseURL(publicURL, "--public-url") }
        try FlagCheck.positive(recheckInterval, "--recheck-interval", maximum: 3600)
        guard dnsTimeout > 0, dnsTimeout <= 60 else {
            throw ValidationError("--dns-timeout must be a number of seconds from more than 0 to 60, not \(dnsTimeout)")
        }
        if let dnsServer, NameServer(dnsServer) == nil {
            throw ValidationError("--dns-server must be HOST or HOST:PORT with a port from 1 to 65535, not '\(dnsServer)'")
        }
        try FlagCheck.port(dcvHttpPort, "--dcv-http-port")
        try FlagCheck.port(dcvHttpsPort, "--dcv-https-port")
        if let smtpUrl {
            do {
                _ = try SMTPMailer(url: smtpUrl)
            } catch {
                throw ValidationError("--smtp-url must look like smtp://HOST:PORT, not '\(smtpUrl)'")
            }
        }
        if let mailFrom {
            let parts = mailFrom.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, (try? FlagCheck.hostName(String(parts[1]).lowercased(), "")) != nil else {
                throw ValidationError("--mail-from must be an e-mail address, not '\(mailFrom)'")
            }
        }
        try FlagCheck.hostName(caaIdentity.lowercased(), "--caa-identity")
        for product in acmeProductList where ProductCatalog.product(nameID: product)?.isTLS != true {
            throw ValidationError("--acme-products names CertCentral TLS products (name_id), and '\(product)' is not one")
        }
        if let dcvCnameZone { try FlagCheck.hostName(dcvCnameZone.lowercased(), "--dcv-cname-zone") }
        if let days = domainReuseDays, !(1...398).contains(days) {
            throw ValidationError("--domain-reuse-days must be 1 to 398 (the Baseline Requirements' longest reuse), not \(days)")
        }
        try FlagCheck.positive(dcvRecheckBase, "--dcv-recheck-base")
        try FlagCheck.positive(signingLease, "--signing-lease", maximum: 86_400)
        try FlagCheck.hostName(resellerDcvBrand.lowercased(), "--reseller-dcv-brand")
        try FlagCheck.positive(callbackRetryBase, "--callback-retry-base")
        guard RateLimitPolicy(argument: rateLimit) != nil else {
            throw ValidationError("--rate-limit must be 'off' or windows such as 100/5s,1000/5m, not '\(rateLimit)'")
        }
        try FlagCheck.positive(drainTimeout, "--drain-timeout", maximum: 600)
        if let tls, tls != "self" {
            throw ValidationError("--tls takes 'self'; for certificate files use --tls-cert and --tls-key")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tls != nil && tlsCert != nil { throw ValidationError("use either --tls self or --tls-cert with --tls-key") }
        for path in [tlsCert, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw ValidationError("cannot read \(path)")
        }
        if !ephemeral && (readyFile != nil || caFrom != nil) {
            throw ValidationError("--ready-file and --ca-from go with --ephemeral")
        }
        if let caFrom {
            for file in ["root.crt", "root.key"] where !FileManager.default.isReadableFile(atPath: caFrom + "/" + file) {
                throw ValidationError("--ca-from names a CA folder (a data folder's ca/), and \(caFrom)/\(file) is not readable")
            }
        }
        if let publicURL, tls != nil || tlsCert != nil, !publicURL.lowercased().hasPrefix("https://") {
            throw ValidationError("with TLS on, --public-url is an https URL")
        }
    }

    func run() async throws {
        guard ephemeral else {
            try await SignetApp.serve(configuration: configuration)
            return
        }
        var configuration = configuration
        let folder = try EphemeralFolder.make(caFrom: caFrom.map(URL.init(fileURLWithPath:)))
        defer { try? FileManager.default.removeItem(at: folder) }
        configuration.dataDirectory = folder
        configuration.databaseURL = nil
        configuration.testDouble = true
        configuration.adoptsCertificateAuthority = caFrom != nil
        let readyFile = self.readyFile
        try await SignetApp.serve(configuration: configuration) { report in
            try EphemeralFolder.announce(report.line, to: readyFile)
        }
    }

    var configuration: SignetConfiguration {
        var configuration = data.configuration
        configuration.host = host
        configuration.port = port
        configuration.publicURL = publicURL
        pki.apply(to: &configuration)
        configuration.dcvMode = dcv
        configuration.recheckInterval = recheckInterval
        configuration.dnsServer = dnsServer.flatMap(NameServer.init)
        configuration.dnsTimeout = dnsTimeout
        configuration.dcvHTTPPort = dcvHttpPort
        configuration.dcvHTTPSPort = dcvHttpsPort
        configuration.smtpURL = smtpUrl
        configuration.mailFrom = mailFrom
        configuration.caaIdentity = caaIdentity.lowercased()
        configuration.acmeProductProfiles = acmeProductList
        configuration.dcvCNAMEZone = dcvCnameZone?.lowercased()
        configuration.domainReuseDays = domainReuseDays
        configuration.dcvRecheckBase = dcvRecheckBase
        configuration.signingLease = signingLease
        configuration.resellerDCVBrand = resellerDcvBrand.lowercased()
        configuration.allowPrivateTargets = allowPrivateTargets
        configuration.callbackRetryBase = callbackRetryBase
        configuration.rateLimit = RateLimitPolicy(argument: rateLimit) ?? .certCentral
        configuration.logFormat = logFormat
        configuration.accessLog = accessLog == .on
        configuration.metrics = metrics == .on
        configuration.drainTimeout = drainTimeout
        configuration.testDouble = testDoubleApi
        if tls == "self" {
            configuration.tls = .selfIssued
        } else if let tlsCert, let tlsKey {
            configuration.tls = .files(certificate: tlsCert, key: tlsKey)
        }
        return configuration
    }
}

/// `signet init`: an installation without starting the server.
struct Initialize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a data folder: database, CA and administrator key, then stop.")

    @OptionGroup var data: DataOption

    @OptionGroup var pki: PKIOptions

    @Option(help: "Base URL of the server, as `serve --public-url` takes it.")
    var publicURL: String?

    @Option(
        help:
            "A folder of ceremony outputs (root.crt, root.crl, tls.crt/.key, smime.crt/.key): the CA, with its root offline (docs/hsm.md)."
    )
    var caFrom: String?

    func validate() throws {
        if let publicURL { try FlagCheck.baseURL(publicURL, "--public-url") }
    }

    func run() async throws {
        var configuration = data.configuration
        configuration.publicURL = publicURL
        pki.apply(to: &configuration)
        configuration.ceremonyOutputs = caFrom.map { URL(fileURLWithPath: $0) }
        let authority = try await SignetApp.initialize(configuration: configuration)
        print("data folder: \(configuration.dataDirectory.path)")
        print("root CA: \(authority.root.subject)")
        for issuer in authority.issuers where issuer.isCurrent {
            print("issuing CA (\(issuer.families.map(\.rawValue).sorted().joined(separator: ", "))): \(issuer.ca.subject)")
        }
        print("administrator API key file: \(configuration.adminKeyPath)")
    }
}

/// Where certificates point and who a new CA is: shared by `serve`, `init` and `ca rotate`.
struct PKIOptions: ParsableArguments {
    @Option(help: "Issuing CA key of a new CA: p256 (default) or rsa2048. An existing CA keeps its key.")
    var caKey: IssuingKeyTypeArgument?

    @Option(
        help:
            "Base of the http addresses in certificates for CRLs, OCSP and issuer certificates (default: the public URL's host over http)."
    )
    var pkiURL: String?

    @Option(help: "ISO 3166-1 country code in a new CA's subjects (default US).")
    var caCountry: String = "US"

    @Option(help: "Organization name in a new CA's subjects (default Signet).")
    var caOrganization: String = "Signet"

    @Option(
        name: .customLong("key"),
        help:
            "NAME=pkcs11:… (NAME root, tls or smime): a new CA's key on a PKCS#11 token, found or generated there (docs/hsm.md). Repeatable."
    )
    var tokenKeys: [String] = []

    /// `--key` values by name.
    func parsedTokenKeys() throws -> [String: PKCS11URI] {
        var keys: [String: PKCS11URI] = [:]
        for value in tokenKeys {
            let parts = value.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, ["root", "tls", "smime"].contains(String(parts[0])) else {
                throw ValidationError("--key takes NAME=pkcs11:… with NAME root, tls or smime, not '\(value.prefix(40))'")
            }
            do {
                keys[String(parts[0])] = try PKCS11URI(String(parts[1]))
            } catch {
                throw ValidationError("--key \(parts[0]): \(error)")
            }
            guard keys[String(parts[0])]?.pinSource != nil else {
                throw ValidationError("--key \(parts[0]): a stored key reads its PIN from pin-source=file:…")
            }
        }
        return keys
    }

    func validate() throws {
        if let pkiURL {
            try FlagCheck.baseURL(pkiURL, "--pki-url")
            guard pkiURL.lowercased().hasPrefix("http://") else {
                throw ValidationError(
                    "--pki-url must be an http URL: relying parties fetch CRLs and OCSP over http (BR 7.1.2.11.2)")
            }
        }
        if let problem = CountryCode.problem(caCountry.uppercased()) { throw ValidationError("--ca-country: \(problem)") }
        if let problem = SubjectText.problem(caOrganization), !caOrganization.isEmpty {
            throw ValidationError("--ca-organization: \(problem)")
        }
        guard (1...40).contains(caOrganization.count) else { throw ValidationError("--ca-organization needs 1 to 40 characters") }
        _ = try parsedTokenKeys()
    }

    func apply(to configuration: inout SignetConfiguration) {
        configuration.issuingKeyType = caKey.map { $0 == .p256 ? .p256 : .rsa2048 }
        configuration.pkiURL = pkiURL
        configuration.caIdentity = CAIdentity(country: caCountry.uppercased(), organization: caOrganization)
        configuration.tokenKeys = (try? parsedTokenKeys()) ?? [:]
    }
}

extension Serve {
    /// `--acme-products` as a list.
    var acmeProductList: [String] {
        (acmeProducts ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// The throwaway data folder of `--ephemeral`, and where its ready line goes.
enum EphemeralFolder {
    /// A new folder under the system's temporary folder, with `caFrom`'s CA files in its `ca/`.
    static func make(caFrom: URL?) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("signet-double-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let caFrom {
            let ca = folder.appendingPathComponent("ca")
            try FileManager.default.createDirectory(
                at: ca, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for name in try FileManager.default.contentsOfDirectory(atPath: caFrom.path)
            where name.hasSuffix(".crt") || name.hasSuffix(".key") {
                let target = ca.appendingPathComponent(name)
                try FileManager.default.copyItem(at: caFrom.appendingPathComponent(name), to: target)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target.path)
            }
        }
        return folder
    }

    /// Prints the ready line, or writes it (0600: it holds the administrator's key) to `file`.
    static func announce(_ line: String, to file: String?) throws {
        guard let file else {
            // Unbuffered: a suite reading the pipe gets the line at once.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            return
        }
        let partial = file + ".partial"
        guard
            FileManager.default.createFile(
                atPath: partial, contents: Data((line + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ValidationError("cannot write the ready line to \(partial)") }
        // Renamed into place, so that a suite polling for the file never reads half a line.
        guard rename(partial, file) == 0 else { throw ValidationError("cannot write the ready line to \(file)") }
    }
}
