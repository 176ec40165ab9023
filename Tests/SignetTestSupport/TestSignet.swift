import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation
import Testing
import Vapor
import VaporTesting

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer

/// A Signet server in this process, on a fresh data folder, answering requests in memory.
final class TestSignet: Sendable {
    let app: Application
    let services: SignetServices
    let adminKey: String
    let directory: URL
    let configuration: SignetConfiguration

    static func start(
        dcv: DCVMode = .checked, clock: any WallClock = SystemWallClock(), keyType: IssuingKeyType = .p256,
        directory: URL? = nil, publicURL: String = "http://pki.signet-test.com", recheckInterval: TimeInterval = 0.2,
        configure: (inout SignetConfiguration) -> Void = { _ in }
    ) async throws -> TestSignet {
        let directory =
            directory
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("signet-test-\(UUID().uuidString)")
        var configuration = SignetConfiguration()
        configuration.dataDirectory = directory
        configuration.dcvMode = dcv
        configuration.issuingKeyType = keyType
        configuration.publicURL = publicURL
        configuration.recheckInterval = recheckInterval
        // Access lines are tested on processes of their own (OperationsTests); here they would only bury failures.
        configuration.accessLog = false
        configuration.databaseURL = try await Self.database(for: directory)
        configuration.dnsServer = try TestDNS.shared.server
        // The test process runs many servers at once on two cores: answers may wait for a thread.
        configuration.dnsTimeout = 10
        configuration.caaIdentity = "signet.test"
        configuration.dcvRecheckBase = 0.2
        // A signature reserved by a server that went away (the crash tests) is taken over soon.
        configuration.signingLease = 1
        // Suites send bursts; the rate-limit tests turn limits on for themselves.
        configuration.rateLimit = .off
        configure(&configuration)
        let app = try await Application.make(.testing)
        app.logger.logLevel =
            ProcessInfo.processInfo.environment["SIGNET_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        do {
            let services = try await SignetApp.configure(app, configuration: configuration, clock: clock)
            try await app.asyncBoot()
            let adminKey = try String(contentsOfFile: configuration.adminKeyPath, encoding: .utf8).trimmingWhitespace()
            return TestSignet(
                app: app, services: services, adminKey: adminKey, directory: directory, configuration: configuration)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    private init(
        app: Application, services: SignetServices, adminKey: String, directory: URL, configuration: SignetConfiguration
    ) {
        self.app = app
        self.services = services
        self.adminKey = adminKey
        self.directory = directory
        self.configuration = configuration
    }

    /// Starts listening on a loopback port, for clients such as `openssl ocsp` and curl; returns the base URL.
    func listen() async throws -> String {
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        return "http://127.0.0.1:\(port)"
    }

    /// On PostgreSQL, the test database of a data folder: created on first start, kept for restarts.
    static func database(for directory: URL) async throws -> String? {
        guard TestPostgres.isEnabled else { return nil }
        let file = directory.appendingPathComponent("test-database-url")
        if let url = try? String(contentsOf: file, encoding: .utf8) { return url }
        let url = try await TestPostgres.createDatabase()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try url?.write(to: file, atomically: true, encoding: .utf8)
        return url
    }

    private let stopped = NSLock()
    nonisolated(unsafe) private var isStopped = false

    /// Stops the server (once); the data folder stays for a restart unless `removingData`.
    func stop(removingData: Bool = true) async throws {
        let first = stopped.withLock {
            defer { isStopped = true }
            return !isStopped
        }
        guard first else { return }
        await app.server.shutdown()
        try await app.asyncShutdown()
        if removingData {
            if let url = configuration.databaseURL { TestPostgres.dropDatabase(url) }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    var administration: Administration { services.administration }
    var store: SignetStore { services.store }

    /// Sends a request under `/services/v2` (or an absolute path) with the administrator's key unless told otherwise.
    @discardableResult
    func call(
        _ method: HTTPMethod, _ path: String, key: String?? = .none, json: Any? = nil, rawBody: String? = nil,
        binaryBody: [UInt8]? = nil, headers extra: [(String, String)] = []
    ) async throws -> TestResponse {
        var headers = HTTPHeaders()
        switch key {
        case .none: headers.add(name: "X-DC-DEVKEY", value: adminKey)
        case .some(let value?): headers.add(name: "X-DC-DEVKEY", value: value)
        case .some(nil): break
        }
        var body = ByteBuffer()
        if let json {
            body.writeBytes(try JSONSerialization.data(withJSONObject: json))
            headers.add(name: .contentType, value: "application/json")
        } else if let rawBody {
            body.writeString(rawBody)
            headers.add(name: .contentType, value: "application/json")
        } else if let binaryBody {
            body.writeBytes(binaryBody)
            headers.add(name: .contentType, value: "application/ocsp-request")
        }
        for (name, value) in extra { headers.add(name: name, value: value) }
        let url = path.hasPrefix("/") ? path : "/services/v2/\(path)"
        let response = try await app.testing().performTest(
            request: TestingHTTPRequest(method: method, url: URI(string: url), headers: headers, body: body))
        return TestResponse(
            status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
    }

    /// Funds the account, validates the domain and creates a validated organization; returns its id.
    func prepareAccount(
        domains: [String] = ["example.com"], funds: Money = "100000.00", level: ValidationLevel = .ov
    )
        async throws -> Int
    {
        _ = try await administration.addBalance(funds)
        for domain in domains { try await administration.validateDomain(name: domain) }
        let created = try await call(.POST, "organization", json: TestData.organization())
        #expect(created.status == .created, "\(created.text)")
        let id = try #require(created.json["id"] as? Int)
        try await administration.validateOrganization(id: id, level: level)
        return id
    }

    func balance() async throws -> Money { try await store.read { try $0.balance().balance } }
    func orderCount() async throws -> Int {
        try await store.read { try $0.orderSummaries(OrderQuery(now: Date())).total }
    }
}

/// Runs `body` against a fresh server and always stops it.
func withSignet(
    dcv: DCVMode = .checked, clock: any WallClock = SystemWallClock(), keyType: IssuingKeyType = .p256,
    configure: (inout SignetConfiguration) -> Void = { _ in },
    _ body: (TestSignet) async throws -> Void
) async throws {
    let signet = try await TestSignet.start(dcv: dcv, clock: clock, keyType: keyType, configure: configure)
    do {
        try await body(signet)
    } catch {
        try? await signet.stop()
        throw error
    }
    try await signet.stop()
}

struct TestResponse: Sendable {
    let status: HTTPStatus
    let headers: HTTPHeaders
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    /// The PEMs of an order's `certificate_chain` (empty when it has none).
    var chainPEMs: [String] {
        (json["certificate_chain"] as? [[String: Any]] ?? []).compactMap { $0["pem"] as? String }
    }

    /// The first CertCentral error code, if the body is an error.
    var errorCode: String? {
        ((json["errors"] as? [[String: Any]])?.first?["code"]) as? String
    }
}
