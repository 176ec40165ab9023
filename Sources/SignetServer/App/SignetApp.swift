import Fluent
import FluentSQLiteDriver
import Foundation
import SQLKit
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation
import Vapor

extension DatabaseID {
    /// SQLite connections kept for writes, beside the default ones that reads use.
    static let sqliteWriter = DatabaseID(string: "sqlite-writer")
}

/// The parts of a running Signet, shared by the routes and the background jobs.
public struct SignetServices: Sendable {
    public let configuration: SignetConfiguration
    public let store: SignetStore
    public let authority: CertificateAuthority
    public let registration: RegistrationAuthority
    public let administration: Administration
    public let clock: any WallClock
    let authenticator: APIKeyAuthenticator
    let secretSealer: SecretSealer
    let callbacks: CallbackDelivery
}

extension Application {
    private struct ServicesKey: StorageKey {
        typealias Value = SignetServices
    }

    /// The Signet services of this application; set by ``SignetApp/configure(_:configuration:clock:)``.
    public var signet: SignetServices {
        get {
            guard let services = storage[ServicesKey.self] else { fatalError("SignetApp.configure was not called") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }
}

extension Request {
    var signet: SignetServices { application.signet }
}

/// Builds a Signet server (or, for the command line, only its store) inside a Vapor application.
public enum SignetApp {
    /// Opens (creating on first use) the data folder and database, migrates the schema and
    /// bootstraps the account and administrator. Used by `serve` and by the admin commands.
    public static func openStore(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock = SystemWallClock()
    ) async throws -> (store: SignetStore, administration: Administration, sealer: SecretSealer) {
        try await StartupLock.withLock(directory: configuration.dataDirectory) {
            try await openStoreLocked(app, configuration: configuration, clock: clock)
        }
    }

    private static func openStoreLocked(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock
    ) async throws -> (store: SignetStore, administration: Administration, sealer: SecretSealer) {
        try FileManager.default.createDirectory(
            at: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let url = configuration.databaseURL {
            // Several instances share one PostgreSQL; each holds a few connections per event loop.
            // A request waits up to 30 s for a connection: a burst queues rather than failing, while
            // an unreachable database still fails at once (a refused connection is not a wait).
            app.databases.use(
                try .postgres(url: url, maxConnectionsPerEventLoop: 4, connectionPoolTimeout: .seconds(30), sqlLogLevel: .trace),
                as: .psql)
        } else {
            app.databases.use(.sqlite(.file(configuration.databasePath), sqlLogLevel: nil), as: .sqlite)
            app.databases.use(.sqlite(.file(configuration.databasePath), sqlLogLevel: nil), as: .sqliteWriter)
            // WAL lets readers run beside the writer; with synchronous=FULL (SQLite's default, which
            // Signet's SQLite build keeps) a committed transaction survives a crash of the process.
            try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").run()
        }
        app.migrations.add(SchemaMigrations.all)
        try await app.autoMigrate()
        let databases = app.databases
        let logger = app.logger
        let loops = app.eventLoopGroup
        let writeOnOwnConnections: @Sendable () -> (any Database)? = {
            databases.database(.sqliteWriter, logger: logger, on: loops.any())
        }
        let writer = configuration.databaseURL == nil ? writeOnOwnConnections : nil
        let store = SignetStore(database: { databases.database(logger: logger, on: loops.any()) }, sqliteWriter: writer)
        let sealer = try SecretSealer.loadOrCreate(directory: configuration.dataDirectory)
        let administration = Administration(store: store, clock: clock, sealer: sealer)
        if try await administration.bootstrap(adminKeyPath: configuration.adminKeyPath) {
            app.logger.notice("created the bootstrap administrator API key in \(configuration.adminKeyPath)")
        }
        return (store, administration, sealer)
    }

    /// Configures everything `signet serve` runs: store, CA, routes and background jobs.
    @discardableResult
    public static func configure(
        _ app: Application, configuration: SignetConfiguration, clock: any WallClock = SystemWallClock()
    ) async throws -> SignetServices {
        let (store, administration, sealer, authority, created) = try await StartupLock.withLock(
            directory: configuration.dataDirectory
        ) {
            let (store, administration, sealer) = try await openStoreLocked(app, configuration: configuration, clock: clock)
            let (authority, created) = try CAKeyFiles(folder: configuration.caDirectory)
                .loadOrCreate(
                    issuingKeyType: configuration.issuingKeyType, publicURL: configuration.effectivePublicURL, now: clock.now())
            try await CertificateAuthorityBinding.check(
                authority, store: store, dataFolder: configuration.dataDirectory, now: clock.now())
            return (store, administration, sealer, authority, created)
        }
        if created {
            app.logger.notice(
                "created the CA in \(configuration.caDirectory.path): \(authority.root.subject) / \(authority.issuing.subject)")
        }
        if configuration.dcvMode == .alwaysValid {
            app.logger.warning(
                "--dcv always-valid: every name and organization counts as validated. This is a test double; never use it for real certificates."
            )
        }
        let revocations = RevocationPublisher(authority: authority)
        let domainControl = try makeDomainControl(configuration, store: store, clock: clock)
        let renderer = ResellerRenderer(brand: configuration.resellerDCVBrand, authority: authority)
        domainControl.events.add(ResellerCallbacks(renderer: renderer))
        let callbackPolicy = CallbackAddressPolicy(
            resolver: domainControl.checker.resolver, allowPrivate: configuration.allowPrivateCallbacks)
        let registration = RegistrationAuthority(
            store: store, authority: authority, clock: clock, dcvMode: configuration.dcvMode, revocations: revocations,
            domainControl: domainControl)
        let services = SignetServices(
            configuration: configuration, store: store, authority: authority, registration: registration,
            administration: administration, clock: clock, authenticator: APIKeyAuthenticator(store: store),
            secretSealer: sealer,
            callbacks: CallbackDelivery(
                store: store, clock: clock, sealer: sealer, policy: callbackPolicy, retryBase: configuration.callbackRetryBase))
        _ = try await revocations.currentCRL(store: store, now: clock.now())
        app.signet = services

        app.http.server.configuration.hostname = configuration.host
        app.http.server.configuration.port = configuration.port
        app.routes.defaultMaxBodySize = "1mb"
        app.middleware = Middlewares()
        app.middleware.use(DialectErrorMiddleware())
        try routes(app)
        try app.register(
            collection: ResellerRoutes(desk: ResellerDesk(registration: registration, renderer: renderer, callbackPolicy: callbackPolicy)))
        app.lifecycle.use(BackgroundJobs(interval: configuration.recheckInterval))
        return services
    }

    static func makeDomainControl(_ configuration: SignetConfiguration, store: SignetStore, clock: any WallClock) throws
        -> DomainControl
    {
        let resolver = NetworkDNSResolver(server: configuration.dnsServer ?? NameServer.fromResolvConf())
        let web = WebFetcher(resolver: resolver, httpPort: configuration.dcvHTTPPort, httpsPort: configuration.dcvHTTPSPort)
        var settings = DomainControl.Settings(
            mode: configuration.dcvMode, publicURL: configuration.effectivePublicURL, mailFrom: configuration.effectiveMailFrom,
            recheckBase: configuration.dcvRecheckBase)
        settings.reuseDays = configuration.domainReuseDays
        settings.sectigoBrand = configuration.resellerDCVBrand
        return DomainControl(
            store: store,
            checker: DomainControlChecker(resolver: resolver, web: web, cnameZone: configuration.effectiveCNAMEZone),
            caa: CAAChecker(resolver: resolver, identities: [configuration.caaIdentity]),
            mailer: try configuration.smtpURL.map { try SMTPMailer(url: $0) }, clock: clock, settings: settings,
            events: OrderEvents())
    }

    /// Runs `signet serve` until SIGINT or SIGTERM.
    public static func serve(configuration: SignetConfiguration) async throws {
        try await withApplication { app in
            try await configure(app, configuration: configuration)
            app.logger.notice("bootstrap administrator API key file: \(configuration.adminKeyPath)")
            try await app.execute()
        }
    }

    /// Runs an administrative command against the data folder's database.
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
    private static func withApplication(_ body: (Application) async throws -> Void) async throws {
        let level = Environment.get("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
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

    static func routes(_ app: Application) throws {
        app.get("healthz") { _ in "ok" }
        try app.register(collection: PublicCARoutes())
        let services = app.grouped("services", "v2").grouped(CertCentralAuthMiddleware())
        try services.register(collection: ProductRoutes())
        try services.register(collection: AccountRoutes())
        try services.register(collection: OrderRoutes())
        try services.register(collection: RequestRoutes())
        try services.register(collection: CertificateRoutes())
        try services.register(collection: LifecycleRoutes())
        try services.register(collection: DCVRoutes())
    }
}
