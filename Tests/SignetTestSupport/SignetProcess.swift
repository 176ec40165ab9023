import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `signet serve` process: for the quick start, several instances on one database, and
/// crashes (SIGKILL), which an in-process server cannot show.
final class SignetProcess: @unchecked Sendable {
    /// The `signet` executable next to this test bundle (SwiftPM builds it for the tests).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["SIGNET_BINARY"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("signet")
    }

    let process: ChildProcess
    let data: URL
    let log: URL
    let port: Int
    /// `https` when the server was told to listen with TLS.
    let scheme: String

    init(data: URL, arguments: [String] = [], databaseURL: String? = nil, environment: [String: String] = [:]) throws {
        self.data = data
        port = try Self.freePort()
        scheme = arguments.contains("--tls") || arguments.contains("--tls-cert") ? "https" : "http"
        log = data.deletingLastPathComponent().appendingPathComponent("serve-\(port).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process = try ChildProcess(
            [
                Self.binary.path, "serve", "--data", data.path, "--port", String(port), "--dns-server",
                try TestDNS.shared.server.description, "--caa-identity", "signet.test",
            ] + (arguments.contains("--rate-limit") ? [] : ["--rate-limit", "off"]) + arguments,
            environment: environment.merging(databaseURL.map { ["DATABASE_URL": $0] } ?? [:]) { $1 },
            standardOutput: .descriptor(handle.fileDescriptor),
            standardError: .descriptor(handle.fileDescriptor))
    }

    var base: String { "\(scheme)://127.0.0.1:\(port)" }
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    var adminKey: String {
        get throws {
            try String(contentsOf: data.appendingPathComponent("admin-api-key"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    func waitUntilServing() async throws {
        for _ in 0..<600 {
            if let health = try? await LiveClient(base: base, key: nil).call(.GET, "/healthz"), health.status == .ok { return }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        Issue.record("signet serve did not answer: \(output)")
        throw CancellationError()
    }

    /// SIGTERM for a clean stop, and SIGKILL five seconds later if it lingers; returns at once
    /// (for `defer` blocks). ``stopAndWait()`` waits until the process is gone.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let process = self.process
        Thread.detachNewThread {
            process.waitBlocking(within: 5)
            Tools.kill(process)
        }
    }

    /// SIGTERM, then SIGKILL if it lingers past five seconds; returns once the process has exited.
    func stopAndWait() async {
        guard process.isRunning else { return }
        process.terminate()
        await process.waitForExit(within: 5)
        Tools.kill(process)
        await process.waitForExit(within: 5)
    }

    /// Runs an administrative command of the same binary against this server's data folder.
    func administer(_ arguments: [String], databaseURL: String? = nil) async throws -> Tools.Result {
        try await Tools.run(
            "signet", arguments + ["--data", data.path], executable: Self.binary,
            environment: databaseURL.map { ["DATABASE_URL": $0] }, timeout: 120)
    }

    /// Places a DV order for `commonName` as the administrator and returns its chain (leaf,
    /// issuing CA, root) once it is checked: answered 201 with three certificates that
    /// `openssl verify` accepts. The balance is the caller's to fund.
    func placeVerifiedDVOrder(commonName: String) async throws -> [String] {
        let placed = try await LiveClient(base: base, key: try adminKey).call(
            .POST, "order/certificate/ssl_dv_geotrust", json: try TestData.dvOrder(commonName: commonName))
        #expect(placed.status == .created, "\(placed.text)")
        let pems = placed.chainPEMs
        try #require(pems.count == 3, "\(placed.text)")
        let verdict = try await Tools.verify(leaf: pems[0], intermediate: pems[1], root: pems[2])
        #expect(verdict.status == 0, "openssl verify: \(verdict.output) \(verdict.error)")
        return pems
    }

    /// SIGKILL at once: no shutdown code runs, as in a power cut of the process.
    func crash() { Tools.kill(process) }

    /// A loopback port that nothing listens on now, for a server a test starts later.
    ///
    /// Chosen below the kernel's ephemeral range (32768 and up on Linux), never twice in this test
    /// process: a port the kernel handed out and took back may be handed to anyone's `bind(0)` or
    /// outgoing connection before the test's server binds it; one of these is not.
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000...32_000)
            guard PortLedger.shared.claim(port), Self.isBindable(port) else { continue }
            return port
        }
        throw TestDNSError.missing("no free port between 20000 and 32000")
    }

    private static func isBindable(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// The ports this test process handed out.
private final class PortLedger: @unchecked Sendable {
    static let shared = PortLedger()
    private let lock = NSLock()
    private var claimed: Set<Int> = []

    func claim(_ port: Int) -> Bool { lock.withLock { claimed.insert(port).inserted } }
}

/// JSON over real HTTP (AsyncHTTPClient), for many concurrent calls to a `SignetProcess`.
struct LiveClient: Sendable {
    static let trustingClient = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(certificateVerification: .none))

    let base: String
    let key: String?
    var timeout: Int64 = 90

    func call(
        _ method: HTTPMethod, _ path: String, json: Any? = nil, rawBody: String? = nil, headers: [(String, String)] = []
    ) async throws -> TestResponse {
        let url = path.hasPrefix("/") ? base + path : base + "/services/v2/" + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let key { request.headers.add(name: "X-DC-DEVKEY", value: key) }
        request.headers.add(contentsOf: headers)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let rawBody {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: rawBody))
        }
        // A server of the tests' own CA: its chain is checked by the tests that care (curl --cacert).
        let client = base.hasPrefix("https") ? Self.trustingClient : HTTPClient.shared
        let response = try await client.execute(request, timeout: .seconds(timeout))
        let body = try await response.body.collect(upTo: 4 << 20)
        return TestResponse(status: response.status, headers: response.headers, body: Data(buffer: body))
    }
}
