import Foundation
import SignetValidation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The tests' DNS server: a real unbound on loopback that answers only from local data (the root
/// zone is local, so nothing leaves the machine and unknown names are NXDOMAIN). Tests add the
/// records they need with `unbound-control`, under names of their own so that they never collide.
final class TestDNS: Sendable {
    let port: Int
    let directory: URL
    let process: ChildProcess

    nonisolated(unsafe) private static var instance: TestDNS?
    private static let lock = NSLock()

    /// The one server of this test process, started on first use and stopped when the process exits.
    static var shared: TestDNS {
        get throws {
            try lock.withLock {
                if let instance { return instance }
                let started = try TestDNS()
                instance = started
                let pid = started.process.processIdentifier
                unboundPID = pid
                atexit { if TestDNS.unboundPID > 0 { kill(TestDNS.unboundPID, SIGTERM) } }
                return started
            }
        }
    }

    nonisolated(unsafe) static var unboundPID: Int32 = 0

    var server: NameServer { NameServer(host: "127.0.0.1", port: port) }
    var configPath: String { directory.appendingPathComponent("unbound.conf").path }

    private init() throws {
        directory = try Tools.temporaryDirectory()
        var lastError = "unbound did not start"
        for _ in 0..<5 {
            let port = try SignetProcess.freePort()
            let config = """
                server:
                  interface: 127.0.0.1
                  port: \(port)
                  do-daemonize: no
                  username: ""
                  chroot: ""
                  directory: "\(directory.path)"
                  pidfile: ""
                  use-syslog: no
                  logfile: "\(directory.path)/unbound.log"
                  verbosity: 0
                  do-ip6: no
                  module-config: "iterator"
                  local-zone: "." static
                  # Every name under \(Self.loopbackZone) is 127.0.0.1 (acme-load's names). Set here:
                  # unbound 1.17 answers SERVFAIL for other names once a zone is added at run time.
                  local-zone: "\(Self.loopbackZone)." redirect
                  local-data: "\(Self.loopbackZone). 60 A 127.0.0.1"
                remote-control:
                  control-enable: yes
                  control-interface: \(directory.path)/control.sock
                  control-use-cert: no

                """
            try config.write(to: directory.appendingPathComponent("unbound.conf"), atomically: true, encoding: .utf8)
            let process: ChildProcess
            do {
                process = try ChildProcess(["/usr/sbin/unbound", "-c", directory.appendingPathComponent("unbound.conf").path])
            } catch {
                throw TestDNSError.missing("unbound is not installed (apt-get install unbound; .ci/run does): \(error)")
            }
            for _ in 0..<50 {
                Thread.sleep(forTimeInterval: 0.1)
                guard process.isRunning else { break }
                let status = try Tools.runBlocking(
                    "unbound-control", ["-c", directory.appendingPathComponent("unbound.conf").path, "status"], input: nil,
                    in: nil, executable: nil, environment: nil, timeout: 30)
                if status.status == 0 {
                    self.port = port
                    self.process = process
                    return
                }
            }
            lastError = (try? String(contentsOf: directory.appendingPathComponent("unbound.log"), encoding: .utf8)) ?? lastError
            process.terminate()
        }
        throw TestDNSError.missing(lastError)
    }

    /// Adds records in zone-file syntax, e.g. `"_dnsauth.a.test. TXT token"`.
    func add(_ records: [String]) async throws {
        for record in records {
            let result = try await Tools.run("unbound-control", ["-c", configPath, "local_data", record])
            guard result.status == 0, result.output.contains("ok") else {
                throw TestDNSError.control("\(record): \(result.output) \(result.error)")
            }
        }
    }

    /// Removes every record of `names`.
    func remove(_ names: [String]) async throws {
        for name in names { _ = try await Tools.run("unbound-control", ["-c", configPath, "local_data_remove", name]) }
    }

    /// A fresh registrable domain for one test, e.g. `t3k9x0ab.com` (the DNS is local: nothing leaves the machine).
    /// A zone whose every name resolves to 127.0.0.1.
    static let loopbackZone = "signet-loopback.com"

    static func uniqueZone() -> String { "t\(UUID().uuidString.prefix(8).lowercased()).com" }
}

enum TestDNSError: Error {
    case missing(String)
    case control(String)
}
