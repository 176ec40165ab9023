import ArgumentParser
import Foundation
import SignetCore
import SignetServer
import SignetValidation

@main
struct Signet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signet",
        abstract: "A self-hosted certificate authority that speaks the DigiCert CertCentral API.",
        subcommands: [
            Serve.self, APIKeyCommand.self, ResellerKeyCommand.self, OrganizationCommand.self, DomainCommand.self,
            BalanceCommand.self, OutboxCommand.self, SeedOrdersCommand.self,
        ])
}

/// `--data`, shared by every command.
struct DataOption: ParsableArguments {
    @Option(name: .customLong("data"), help: "The data folder (env SIGNET_DATA).")
    var path: String = ProcessInfo.processInfo.environment["SIGNET_DATA"] ?? "./signet-data"

    @Option(help: "postgres://USER:PASSWORD@HOST:PORT/DATABASE selects PostgreSQL (env DATABASE_URL); default: SQLite in the data folder.")
    var databaseURL: String? = ProcessInfo.processInfo.environment["DATABASE_URL"]

    var configuration: SignetConfiguration {
        var configuration = SignetConfiguration()
        configuration.dataDirectory = URL(fileURLWithPath: path)
        configuration.databaseURL = databaseURL.flatMap { $0.isEmpty ? nil : $0 }
        return configuration
    }
}

extension DCVMode: ExpressibleByArgument {}
extension IssuingKeyTypeArgument: ExpressibleByArgument {}

/// `--ca-key` values.
enum IssuingKeyTypeArgument: String, CaseIterable {
    case p256
    case rsa2048
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Signet server.")

    @Option(help: "Address to listen on (env SIGNET_HOST).")
    var host: String = ProcessInfo.processInfo.environment["SIGNET_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on (env SIGNET_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["SIGNET_PORT"] ?? "") ?? 8080

    @OptionGroup var data: DataOption

    @Option(help: "Base URL put in certificates for CRL, OCSP and CA issuers (env SIGNET_PUBLIC_URL).")
    var publicURL: String? = ProcessInfo.processInfo.environment["SIGNET_PUBLIC_URL"]

    @Option(help: "checked (default) or always-valid: a test double in which every name counts as validated.")
    var dcv: DCVMode = .checked

    @Option(help: "Issuing CA key created on first start: p256 (default) or rsa2048.")
    var caKey: IssuingKeyTypeArgument = .p256

    @Option(help: "Seconds between background passes over pending orders.")
    var recheckInterval: Double = 5

    @Option(help: "DNS server for validation and CAA, HOST:PORT (default: the first nameserver of /etc/resolv.conf).")
    var dnsServer: String?

    @Option(help: "Port that http-token validation connects to (default 80).")
    var dcvHttpPort: Int = 80

    @Option(help: "Port that HTTPS validation connects to (default 443).")
    var dcvHttpsPort: Int = 443

    @Option(help: "SMTP relay for validation e-mail, smtp://HOST:PORT (default: write to the outbox only).")
    var smtpUrl: String?

    @Option(help: "Sender of validation e-mail (default dcv@<caa identity>).")
    var mailFrom: String?

    @Option(help: "The issuer domain that CAA issue records must name to allow Signet.")
    var caaIdentity: String = "signet.invalid"

    @Option(help: "Zone that dns-cname-token records point into (default dcv.<caa identity>).")
    var dcvCnameZone: String?

    @Option(help: "Days a domain validation is reused (default: the CA/B Forum period in force, 199 days in 2026).")
    var domainReuseDays: Int?

    @Option(help: "Seconds before the first background re-check of an order's DCV; doubles up to an hour.")
    var dcvRecheckBase: Double = 30

    @Option(help: "Brand domain in the reseller dialect's Sectigo-style DCV values.")
    var resellerDcvBrand: String = "comodoca.com"

    @Flag(help: "Let notify_url callbacks go to loopback and private addresses (tests, closed networks).")
    var allowPrivateCallbacks = false

    @Option(help: "Seconds before a failed callback is retried; later retries wait 5, 15, 60, 360 and 720 times as long, for a day.")
    var callbackRetryBase: Double = 60

    func run() async throws {
        var configuration = data.configuration
        configuration.host = host
        configuration.port = port
        configuration.publicURL = publicURL
        configuration.dcvMode = dcv
        configuration.issuingKeyType = caKey == .p256 ? .p256 : .rsa2048
        configuration.recheckInterval = recheckInterval
        if let dnsServer {
            guard let server = NameServer(dnsServer) else { throw ValidationError("--dns-server expects HOST or HOST:PORT") }
            configuration.dnsServer = server
        }
        configuration.dcvHTTPPort = dcvHttpPort
        configuration.dcvHTTPSPort = dcvHttpsPort
        configuration.smtpURL = smtpUrl
        configuration.mailFrom = mailFrom
        configuration.caaIdentity = caaIdentity.lowercased()
        configuration.dcvCNAMEZone = dcvCnameZone
        configuration.domainReuseDays = domainReuseDays
        configuration.dcvRecheckBase = dcvRecheckBase
        configuration.resellerDCVBrand = resellerDcvBrand
        configuration.allowPrivateCallbacks = allowPrivateCallbacks
        configuration.callbackRetryBase = callbackRetryBase
        try await SignetApp.serve(configuration: configuration)
    }
}

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key and print it (shown once).")

        @Option(help: "administrator, manager or user.")
        var role: Role

        @Option(help: "A name for the key's user.")
        var name: String

        @Option(help: "The container the key's user belongs to (default: the root container).")
        var container: Int?

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let (key, user) = try await administration.createAPIKey(role: role, name: name, containerID: container)
                FileHandle.standardError.write(Data("created user \(user.id) (\(user.role.rawValue))\n".utf8))
                print(key)
            }
        }
    }
}

extension Role: ExpressibleByArgument {}
extension ValidationLevelArgument: ExpressibleByArgument {}

enum ValidationLevelArgument: String, CaseIterable {
    case ov
    case ev
}

struct OrganizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Organization validation (administrator shortcut).", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an organization validated.")

        @Argument(help: "The organization id.")
        var id: Int

        @Option(help: "ov (default) or ev.")
        var level: ValidationLevelArgument = .ov

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let until = try await administration.validateOrganization(id: id, level: level == .ev ? .ev : .ov)
                print("organization \(id) validated (\(level.rawValue)) until \(until)")
            }
        }
    }
}

struct DomainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "Domain validation (administrator shortcut).", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a domain and the names under it validated.")

        @Argument(help: "The domain name.")
        var name: String

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let domain = try await administration.validateDomain(name: name)
                print("domain \(domain.name) validated until \(domain.validatedUntil.map { "\($0)" } ?? "-")")
            }
        }
    }
}

struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance", abstract: "The account balance.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add money to the account balance.")

        @Argument(help: "The amount, e.g. 1000 or 99.50.")
        var amount: String

        @OptionGroup var data: DataOption

        func run() async throws {
            guard let money = Money(decimal: amount), money.cents > 0 else {
                throw ValidationError("'\(amount)' is not a positive amount with at most two decimals")
            }
            try await withStore(data) { administration in
                let balance = try await administration.addBalance(money)
                print("balance: \(balance.balance) \(balance.currency)")
            }
        }
    }
}

struct ResellerKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseller-key", abstract: "Manage access keys of the reseller API.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an access key; prints accessKeyId and accessKeySecret (shown once).")

        @Option(help: "A name for the reseller.")
        var name: String

        @Option(help: "The container the reseller's orders go to (default: the root container).")
        var container: Int?

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let (id, secret) = try await administration.createResellerKey(name: name, containerID: container)
                print("accessKeyId=\(id)")
                print("accessKeySecret=\(secret)")
            }
        }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Show the validation e-mail Signet wrote, newest first.")

    @Option(help: "How many messages to show.")
    var limit: Int = 20

    @OptionGroup var data: DataOption

    func run() async throws {
        try await withStore(data) { administration in
            for email in try await administration.outbox(limit: limit) {
                print("--- #\(email.id) \(email.sentAt == nil ? "not sent" : "sent") \(email.followedAt == nil ? "" : "(followed)")")
                print("To: \(email.recipient)\nSubject: \(email.subject)\n\n\(email.body)\n")
            }
        }
    }
}

/// Runs an administrative command against the data folder's database.
func withStore(_ data: DataOption, _ body: (Administration) async throws -> Void) async throws {
    try await SignetApp.withAdministration(configuration: data.configuration, body)
}

struct SeedOrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-orders",
        abstract: "Copy an order many times, to benchmark lists on a large database (bench/run uses it).")

    @Argument(help: "How many copies.")
    var count: Int

    @Option(help: "The order to copy (e.g. one placed by the issuance benchmark).")
    var fromOrder: Int

    @OptionGroup var data: DataOption

    func run() async throws {
        guard count > 0 else { throw ValidationError("COUNT must be positive") }
        try await withStore(data) { administration in
            let started = Date()
            let stored = try await administration.seedCopies(ofOrder: fromOrder, count: count)
            print("stored \(stored) copies of order \(fromOrder) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }
}
