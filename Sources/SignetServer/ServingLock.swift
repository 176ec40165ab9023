import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Holds `<data>/serving.lock` while a server runs on the folder's SQLite database. SQLite has one
/// writer and a data folder one CA; a second server on the same folder would contend for both
/// without a word, so it is refused, naming the first one's process. (Several instances share a
/// PostgreSQL database instead: docs/postgresql.md.)
final class ServingLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func acquire(_ configuration: SignetConfiguration, logger: Logger) throws -> ServingLock {
        try DataFolder.prepare(configuration, create: true, logger: logger)
        let path = configuration.dataDirectory.appendingPathComponent("serving.lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DataFolderError.unusable(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw StartupError.setting(
                "another signet\(holder.map { $0.isEmpty ? "" : " (PID \($0))" } ?? "") serves the data folder "
                    + "\(configuration.dataDirectory.path) on SQLite; stop it first (several instances share a PostgreSQL "
                    + "database instead: docs/postgresql.md)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ServingLock(descriptor: descriptor)
    }

    /// Lets the next server start (the kernel does the same if the process dies).
    func release() {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }
}

/// Checks before anything is created that the listener's address can be bound, so that a port in
/// use (or a low port without the right) fails at once, naming the address.
enum ListenerProbe {
    static func check(host: String, port: Int) throws {
        let literal = host == "localhost" ? "127.0.0.1" : host
        var address = sockaddr_in()
        guard inet_pton(AF_INET, literal, &address.sin_addr) == 1, (1...65_535).contains(port) else { return }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            throw StartupError.port(
                "cannot listen on \(host):\(port): \(reason)\(port < 1024 ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "")"
            )
        }
    }
}
