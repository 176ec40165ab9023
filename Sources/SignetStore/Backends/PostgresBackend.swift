import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// PostgreSQL through PostgresNIO: a fixed set of lanes, each one connection and one thread of
/// its own, so that a session's synchronous statements block that thread and nothing else.
///
/// A session waits (up to `leaseTimeout`) for a free lane: a burst queues rather than failing,
/// while an unreachable database fails at once with ``StoreError/unavailable(_:)``. A lane whose
/// connection was lost connects again on its next use.
final class PostgresBackend: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let lanes: [PostgresLane]
    private let queue: LaneQueue
    private let logger: Logger
    private let statementTimeout: TimeInterval

    init(
        url: String, lanes count: Int = 8, leaseTimeout: TimeInterval = 30, statementTimeout: TimeInterval = 60, logger: Logger
    )
        throws
    {
        configuration = try Self.configuration(url: url)
        lanes = (0..<max(1, count)).map { PostgresLane(id: $0) }
        queue = LaneQueue(count: lanes.count, timeout: leaseTimeout)
        self.logger = logger
        self.statementTimeout = statementTimeout
    }

    /// Runs `body` outside a transaction (each statement sees what is committed when it runs).
    func read<T: Sendable>(_ body: @escaping @Sendable (ReadSession) throws -> T) async throws -> T {
        try await withLane { executor in try body(ReadSession(executor: executor)) }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (WriteSession) throws -> T) async throws -> T {
        try await withLane { executor in
            _ = try executor.execute("BEGIN", [])
            do {
                let value = try body(WriteSession(executor: executor))
                _ = try executor.execute("COMMIT", [])
                return value
            } catch {
                if !executor.connection.isClosed { _ = try? executor.execute("ROLLBACK", []) }
                throw error
            }
        }
    }

    /// Runs `body` on a lane's thread with its connection, outside a transaction (migrations).
    func withExecutor<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        try await withLane { executor in try body(executor) }
    }

    private func withLane<T: Sendable>(_ body: @escaping @Sendable (PostgresExecutor) throws -> T) async throws -> T {
        let index = try await queue.acquire()
        defer { queue.release(index) }
        let lane = lanes[index]
        let connection = try await lane.connection(configuration: configuration, logger: logger)
        let executor = PostgresExecutor(connection: connection, logger: logger, timeout: statementTimeout)
        return try await withCheckedThrowingContinuation { continuation in
            lane.thread.async { continuation.resume(with: Result { try body(executor) }) }
        }
    }

    func close() async {
        for lane in lanes { await lane.close() }
    }

    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    static func configuration(url: String) throws -> PostgresConnection.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else { throw StoreError.unavailable("the database URL is not postgres://user:password@host:port/database") }
        let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        let tls: PostgresConnection.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow":
            tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default:
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database, tls: tls)
    }
}

/// One connection and the thread its sessions run on.
private final class PostgresLane: @unchecked Sendable {
    let id: Int
    let thread: DispatchQueue
    private let lock = NSLock()
    private var current: PostgresConnection?

    init(id: Int) {
        self.id = id
        thread = DispatchQueue(label: "signet.postgres.\(id)")
    }

    /// The open connection, connecting when there is none or it was lost. Called only by the
    /// lane's current holder.
    func connection(configuration: PostgresConnection.Configuration, logger: Logger) async throws -> PostgresConnection {
        if let open = lock.withLock({ current }), !open.isClosed { return open }
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger
            ).get()
            lock.withLock { current = connection }
            return connection
        } catch {
            throw StoreError.unavailable("the database cannot be reached (\(String(reflecting: error)))")
        }
    }

    func close() async {
        guard let connection = lock.withLock({ current }) else { return }
        try? await connection.close()
    }
}

/// Free lanes, and sessions waiting for one in arrival order, each for at most `timeout`.
private final class LaneQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Int]
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Int, any Error>)] = []
    private var nextWaiter: UInt64 = 0
    private let timeout: TimeInterval

    init(count: Int, timeout: TimeInterval) {
        free = Array((0..<count).reversed())
        self.timeout = timeout
    }

    func acquire() async throws -> Int {
        let id: UInt64 = lock.withLock {
            nextWaiter += 1
            return nextWaiter
        }
        return try await withCheckedThrowingContinuation { continuation in
            let granted: Int? = lock.withLock {
                if let lane = free.popLast() { return lane }
                waiters.append((id, continuation))
                return nil
            }
            if let granted {
                continuation.resume(returning: granted)
                return
            }
            let timeout = self.timeout
            Task {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                self.expire(id)
            }
        }
    }

    private func expire(_ id: UInt64) {
        let expired: CheckedContinuation<Int, any Error>? = lock.withLock {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index).continuation
        }
        expired?.resume(throwing: StoreError.unavailable("every database connection stayed busy for \(Int(timeout)) seconds"))
    }

    func release(_ lane: Int) {
        let next: CheckedContinuation<Int, any Error>? = lock.withLock {
            if waiters.isEmpty {
                free.append(lane)
                return nil
            }
            return waiters.removeFirst().continuation
        }
        next?.resume(returning: lane)
    }
}
