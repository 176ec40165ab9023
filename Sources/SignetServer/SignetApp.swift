import Foundation
import SignetACME
import SignetCertCentral
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetReseller
import SignetStore
import SignetTestDouble
import SignetValidation
import Vapor

/// The parts of a running Signet, shared by the routes and the background jobs.
public struct SignetServices: Sendable {
    public let configuration: SignetConfiguration
    public let store: SignetStore
    public let authority: CertificateAuthority
    public let registration: RegistrationAuthority
    public let administration: Administration
    public let clock: any WallClock
    /// The front ends, each under its own path prefix.
    public let dialects: [any Dialect]
}

extension Application {
    private struct ServicesKey: StorageKey {
        typealias Value = SignetServices
    }

    /// The Signet services of this application; set by ``SignetApp/configure(_:configuration:clock:)``.
    public var services: SignetServices {
        get {
            guard let services = storage[ServicesKey.self] else { fatalError("SignetApp.configure was not called") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }
}

extension Request {
    var services: SignetServices { application.services }
}

/// Builds a Signet server (or, for the command line, only its store) inside a Vapor application.
public enum SignetApp {
    /// Opens the data folder and database, migrates the schema and bootstraps the account and
    /// administrator. `serve` and `init` may create the folder (`create`); administrative commands
    /// never do, so a mistyped `--data` is an error rather than a new, empty installation.
    public static func openStore(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock = SystemWallClock(), create: Bool = false
    ) async throws -> (store: SignetStore, administration: Administration, sealer: SecretSealer) {
        try DataFolder.prepare(configuration, create: create, logger: app.logger)
        return try await StartupLock.withLock(directory: configuration.dataDirectory) {
            try await openStoreLocked(app, configuration: configuration, clock: clock, create: create)
        }
    }

    private static func openStoreLocked(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock, create: Bool
    ) async throws -> (store: SignetStore, administration: Administration, sealer: SecretSealer) {
        let databaseExisted =
            configuration.databaseURL != nil || FileManager.default.fileExists(atPath: configuration.databasePath)
        let store: SignetStore
        if let url = configuration.databaseURL {
            store = try SignetStore.postgres(url: url, logger: app.logger)
        } else {
            store = try await SignetStore.sqlite(path: configuration.databasePath)
        }
        do {
            if try await !store.hasSchema() {
                // An empty database beside an existing CA is a database that lost its contents (one copied
                // without its -wal file, a wrong DATABASE_URL): starting would forget every order and revocation.
                let adopted = configuration.testDouble && configuration.adoptsCertificateAuthority
                if (DataFolder.holdsCertificateAuthority(configuration) && !adopted) || !create {
                    throw DataFolder.holdsCertificateAuthority(configuration)
                        ? DataFolderError.emptyDatabase(
                            dataFolder: configuration.dataDirectory.path,
                            database: configuration.databaseURL.map(SignetConfiguration.redacted) ?? configuration.databasePath)
                        : DataFolderError.missing(path: configuration.dataDirectory.path)
                }
            }
            let bar = TerminalProgress(label: "migrating the database")
            try await store.migrate { done, due in bar.show(Double(done) / Double(max(due, 1))) }
            bar.finish()
        } catch {
            await store.close()
            if !databaseExisted { SchemaMigrations.removeSQLiteFiles(at: configuration.databasePath) }
            throw error
        }
        app.lifecycle.use(StoreShutdown(store: store))
        if configuration.databaseURL == nil { _ = try DataFolder.tightenPermissions(configuration.dataDirectory) }
        let sealer = try SecretSealer.loadOrCreate(directory: configuration.dataDirectory)
        let administration = Administration(store: store, clock: clock, sealer: sealer)
        if try await administration.bootstrap(adminKeyPath: configuration.adminKeyPath) {
            app.logger.notice("created the bootstrap administrator API key in \(configuration.adminKeyPath)")
        }
        return (store, administration, sealer)
    }

    /// Opens (and on first use creates) the whole installation: store and CA, bound to each other.
    static func openInstallation(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock
    ) async throws
        -> (store: SignetStore, administration: Administration, sealer: SecretSealer, authority: CertificateAuthority)
    {
        try DataFolder.prepare(configuration, create: true, logger: app.logger)
        let (store, administration, sealer, authority, created) = try await StartupLock.withLock(
            directory: configuration.dataDirectory
        ) {
            let (store, administration, sealer) = try await openStoreLocked(
                app, configuration: configuration, clock: clock, create: true)
            let (authority, created) = try CAFolder(folder: configuration.caDirectory)
                .loadOrCreate(configuration.caSettings, now: clock.now())
            let existing = authority.issuer(for: .tls).ca.keyType
            if !created, let asked = configuration.issuingKeyType, asked != existing {
                throw StartupError.caKeyMismatch(caFolder: configuration.caDirectory.path, existing: existing, asked: asked)
            }
            try await CertificateAuthorityBinding.check(
                authority, store: store, dataFolder: configuration.dataDirectory, now: clock.now())
            return (store, administration, sealer, authority, created)
        }
        _ = try DataFolder.tightenPermissions(configuration.dataDirectory)
        if let crl = authority.offlineRootCRL, crl.nextUpdate.timeIntervalSince(clock.now()) < 30 * 86_400 {
            app.logger.warning(
                "the root is offline and its CRL from the last ceremony runs out at \(APITime.timestamp(crl.nextUpdate)): run a CRL ceremony and install its root.crl (docs/hsm.md)"
            )
        }
        if created {
            app.logger.notice(
                """
                \(configuration.ceremonyOutputs == nil ? "created" : "installed from ceremony outputs") the CA in \
                \(configuration.caDirectory.path): \(authority.root.subject) with issuing CAs \
                \(authority.issuers.map { "\($0.ca.subject)" }.joined(separator: " and "))
                """)
        } else if authority.issuers.contains(where: { $0.families.count > 1 && $0.isCurrent }) {
            app.logger.notice(
                "the CA in \(configuration.caDirectory.path) has one issuing CA for TLS and S/MIME; `signet ca rotate` makes one per family (docs/pki.md)"
            )
        }
        return (store, administration, sealer, authority)
    }

    /// Configures everything `signet serve` runs: store, CA, routes and background jobs.
    @discardableResult
    public static func configure(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock = SystemWallClock()
    ) async throws -> SignetServices {
        var configuration = configuration
        if configuration.port == 0 {
            configuration.port = try FreePort.pick(host: configuration.host)
        } else {
            try ListenerProbe.check(host: configuration.host, port: configuration.port)
        }
        if configuration.tls == nil, !["127.0.0.1", "::1", "localhost"].contains(configuration.host) {
            app.logger.warning(
                "listening on \(configuration.host) without TLS: API keys cross the network in the clear. Use --tls self, --tls-cert and --tls-key, or a TLS proxy in front (docs/operations.md)."
            )
        }
        let (store, administration, sealer, authority) = try await openInstallation(
            app, configuration: configuration, clock: clock)
        if configuration.dcvMode == .alwaysValid {
            app.logger.warning(
                "--dcv always-valid: every name and organization counts as validated. This is a test double; never use it for real certificates."
            )
        }
        let revocations = RevocationPublisher(authority: authority)
        let domainControl = try makeDomainControl(configuration, store: store, clock: clock)
        let registration = RegistrationAuthority(
            store: store, authority: authority, endpoints: PKIEndpoints(base: configuration.effectivePKIURL), clock: clock,
            dcvMode: configuration.dcvMode, revocations: revocations, domainControl: domainControl,
            signingLease: configuration.signingLease)
        let credentials = Credentials(store: store, sealer: sealer, clock: clock)
        let dialects: [any Dialect] = [
            CertCentralDialect(workflow: registration),
            ResellerDialect(
                workflow: registration, accounts: ResellerAccounts(store: store, sealer: sealer),
                outbound: domainControl.checker.web.policy, clock: clock,
                settings: .init(dcvBrand: configuration.resellerDCVBrand, callbackRetryBase: configuration.callbackRetryBase)),
            ACMEDialect(
                authority: ACMEAuthority(registration: registration, sealer: sealer, credentials: credentials),
                settings: .init(
                    baseURL: configuration.effectivePublicURL, caaIdentity: configuration.caaIdentity,
                    productProfiles: configuration.acmeProductProfiles)),
        ]
        for dialect in dialects {
            if let sink = dialect.eventSink { domainControl.events.add(sink, for: dialect.origin) }
        }
        let services = SignetServices(
            configuration: configuration, store: store, authority: authority, registration: registration,
            administration: administration, clock: clock, dialects: dialects)
        try await revocations.refreshCRLs(store: store, now: clock.now())
        app.services = services
        app.signet = DialectContext(
            administration: administration, reader: store.reader, authority: authority, clock: clock,
            credentials: credentials,
            rateLimiter: RateLimiter(policy: configuration.rateLimit))

        app.http.server.configuration.hostname = configuration.host
        app.http.server.configuration.port = configuration.port
        if let tls = configuration.tls {
            app.http.server.configuration.tlsConfiguration = try ServerIdentity.tlsConfiguration(
                tls, configuration: configuration, authority: authority, now: clock.now())
        }
        // SIGTERM drains: requests in flight finish (for this long at most) before the database closes.
        app.http.server.configuration.shutdownTimeout = .seconds(Int64(configuration.drainTimeout))
        app.routes.defaultMaxBodySize = "1mb"
        app.http.server.configuration.serverName = "Signet/\(SignetVersion.current)"
        // Signet records its own request metrics, with the dialect (RequestLog).
        app.http.server.configuration.reportMetrics = false
        app.middleware = Middlewares()
        app.middleware.use(RequestLog(accessLog: configuration.accessLog))
        app.middleware.use(DialectErrorMiddleware(dialects: dialects))
        app.get("healthz") { _ in
            let response = Response(status: .ok, body: .init(string: #"{"status":"ok","version":"\#(SignetVersion.current)"}"#))
            response.headers.contentType = .json
            return response
        }
        app.get("openapi", "certcentral.json") { _ in
            let response = Response(status: .ok, body: .init(string: CertCentralDialect.openAPIDocument))
            response.headers.contentType = .json
            return response
        }
        try app.register(collection: PublicCARoutes())
        try app.register(collection: EmailLinkRoutes())
        for dialect in dialects { try dialect.register(on: app.grouped(dialect.pathPrefix)) }
        app.lifecycle.use(BackgroundJobs(interval: configuration.recheckInterval))
        return services
    }

    static func makeDomainControl(
        _ configuration: SignetConfiguration, store: SignetStore, clock: any WallClock
    ) throws
        -> DomainControl
    {
        let resolver = NetworkDNSResolver(
            server: configuration.dnsServer ?? NameServer.fromResolvConf(), timeout: configuration.dnsTimeout)
        let outbound = OutboundAddressPolicy(
            resolver: resolver, allowPrivate: configuration.allowPrivateTargets,
            ownListener: OwnListener(port: configuration.port, boundTo: configuration.host))
        let web = WebFetcher(policy: outbound, httpPort: configuration.dcvHTTPPort, httpsPort: configuration.dcvHTTPSPort)
        var settings = DomainControl.Settings(
            mode: configuration.dcvMode, publicURL: configuration.effectivePublicURL, mailFrom: configuration.effectiveMailFrom,
            recheckBase: configuration.dcvRecheckBase)
        settings.reuseDays = configuration.domainReuseDays
        settings.sectigoBrand = configuration.resellerDCVBrand
        let base = configuration.effectivePublicURL
        settings.acmeAccountURLPrefix = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/acme/account/"
        return DomainControl(
            store: store,
            checker: DomainControlChecker(resolver: resolver, web: web, cnameZone: configuration.effectiveCNAMEZone),
            caa: CAAChecker(resolver: resolver, identities: [configuration.caaIdentity]),
            mailer: try configuration.smtpURL.map { try SMTPMailer(url: $0) }, clock: clock, settings: settings,
            events: OrderEvents())
    }

    /// Runs `signet serve` until SIGINT or SIGTERM, then drains: the listener closes, requests in
    /// flight finish (bounded by `drainTimeout`), background work stops, and only then the database closes.
    ///
    /// - Parameter ready: called once the server answers, with what a client needs (the test double
    ///   prints it as one JSON line).
    public static func serve(
        configuration: SignetConfiguration, ready: (@Sendable (ReadyReport) throws -> Void)? = nil
    ) async throws {
        try await withApplication(logFormat: configuration.logFormat) { app in
            let servingLock = configuration.databaseURL == nil ? try ServingLock.acquire(configuration, logger: app.logger) : nil
            defer { servingLock?.release() }
            if configuration.metrics { MetricsExport.mount(on: app) }
            let clock: any WallClock = configuration.testDouble ? AdjustableWallClock() : SystemWallClock()
            let services = try await configure(app, configuration: configuration, clock: clock)
            if configuration.testDouble, let clock = clock as? AdjustableWallClock {
                let ocspAnswers = services.registration.revocations.ocspCache
                let double = TestDouble(clock: clock, registration: services.registration, store: services.store) {
                    ocspAnswers.removeAll()
                }
                try app.register(collection: ManagementRoutes(double: double))
                app.middleware.use(
                    FaultMiddleware(
                        double: double, dialects: services.dialects.map { ($0.origin.rawValue, $0.pathString) }))
                try await double.markStart()
                app.logger.notice("test double: the management API is at /test-double (docs/test-double.md)")
            }
            app.logger.notice("bootstrap administrator API key file: \(configuration.adminKeyPath)")
            try await app.startup()
            let key = try String(contentsOfFile: configuration.adminKeyPath, encoding: .utf8).trimmingWhitespace()
            try ready?(ReadyReport(configuration: services.configuration, adminAPIKey: key))
            try await app.running?.onStop.get()
            app.logger.notice("stopping: draining requests in flight")
            await app.server.shutdown()
        }
    }

    /// `signet init`: creates the data folder, database, CA and administrator key, and stops.
    public static func initialize(configuration: SignetConfiguration) async throws -> CertificateAuthority {
        var authority: CertificateAuthority?
        try await withApplication { app in
            authority = try await openInstallation(app, configuration: configuration, clock: SystemWallClock()).authority
        }
        guard let authority else { throw StoreError.inconsistent("the installation did not open") }
        return authority
    }

    /// Runs an administrative command that needs the CA as well as the database.
    public static func withCertificateAuthority(
        configuration: SignetConfiguration, _ body: (Administration, CertificateAuthority) async throws -> Void
    ) async throws {
        try await withApplication { app in
            let (_, administration, _) = try await openStore(app, configuration: configuration)
            let authority = try CAFolder(folder: configuration.caDirectory).load()
            try await body(administration, authority)
        }
    }

    /// Runs an administrative command against an existing installation's database.
    public static func withAdministration(
        configuration: SignetConfiguration, _ body: (Administration) async throws -> Void
    ) async throws {
        try await withApplication { app in
            let (_, administration, _) = try await openStore(app, configuration: configuration)
            try await body(administration)
        }
    }

    /// A production application logging to standard error at `LOG_LEVEL`, shut down after `body`.
    /// Standard output stays for results, e.g. the key that `apikey create` prints.
    private static func withApplication(
        logFormat: LogFormat = .text, _ body: (Application) async throws -> Void
    ) async throws {
        let level = try LogFormat.level()
        LoggingSystem.bootstrap { label in logFormat.handler(label: label, level: level) }
        // Vapor must not parse Signet's own arguments.
        let app = try await Application.make(Environment(name: "production", arguments: ["signet"]))
        do {
            try await body(app)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
