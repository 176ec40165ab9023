import Foundation
import GRDB
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SignetCore

/// Why the store refused or failed an operation.
public enum StoreError: Error, Sendable, Equatable {
    /// A uniqueness rule was broken, e.g. a serial number or an idempotency key used twice.
    case uniqueViolation(String)
    /// The database could not be reached or failed; retrying later may succeed.
    case unavailable(String)
    /// A row that should exist is missing (the data was changed under us).
    case inconsistent(String)
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .uniqueViolation(let detail): return "a concurrent change conflicted (\(detail)); retry"
        case .unavailable(let detail): return "the database is unavailable: \(detail)"
        case .inconsistent(let detail): return "the database is inconsistent: \(detail)"
        }
    }
}

/// Persistence for Signet: the only place that knows SQL.
///
/// ``read(_:)`` and ``write(_:)`` hand a ``StoreSession`` to a synchronous closure; the record methods
/// are extensions of `StoreSession` (reads on every session, changes only on write transactions).
/// SQLite runs through GRDB (``SQLiteBackend``), PostgreSQL through PostgresNIO
/// (``PostgresBackend``); both run the same statements and the same migrations.
public final class SignetStore: Sendable {
    enum Backend: Sendable {
        case sqlite(SQLiteBackend)
        case postgres(PostgresBackend)
    }

    let backend: Backend

    private init(_ backend: Backend) { self.backend = backend }

    /// Opens (creating when absent) the SQLite database at `path`.
    public static func sqlite(path: String) async throws -> SignetStore {
        do {
            return SignetStore(.sqlite(try await SQLiteBackend.open(path: path)))
        } catch {
            throw Self.translate(error)
        }
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/database`); connections
    /// open on first use.
    public static func postgres(
        url: String, connections: Int = 8, logger: Logger = Logger(label: "signet.store")
    ) throws
        -> SignetStore
    {
        SignetStore(.postgres(try PostgresBackend(url: url, lanes: connections, logger: logger)))
    }

    public var isPostgreSQL: Bool {
        if case .postgres = backend { return true }
        return false
    }

    /// A handle that can only read: what the dialects' routes get.
    public var reader: StoreReader { StoreReader(store: self) }

    /// Runs `body` on a read connection (SQLite: a snapshot of the last commit; it never waits for the writer).
    public func read<T: Sendable>(_ body: @escaping @Sendable (ReadSession) throws -> T) async throws -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { StoreMetrics.record(.read, since: started) }
        do {
            switch backend {
            case .sqlite(let sqlite): return try await sqlite.read(body)
            case .postgres(let postgres): return try await postgres.read(body)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` in one transaction: everything it writes commits together or not at all, and
    /// the call returns only once the commit is durable.
    public func write<T: Sendable>(_ body: @escaping @Sendable (WriteSession) throws -> T) async throws -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { StoreMetrics.record(.write, since: started) }
        let timed: @Sendable (WriteSession) throws -> T = { session in
            let began = DispatchTime.now().uptimeNanoseconds
            defer { StoreMetrics.record(.transaction, since: began) }
            return try body(session)
        }
        do {
            switch backend {
            case .sqlite(let sqlite): return try await sqlite.write(timed)
            case .postgres(let postgres): return try await postgres.write(timed)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// SQLite's writer: how many transactions committed and how many writes they carried
    /// (`nil` on PostgreSQL, which commits each transaction on its own).
    public var groupCommitStatistics: (transactions: Int, writes: Int)? {
        if case .sqlite(let sqlite) = backend { return sqlite.writer.statistics }
        return nil
    }

    /// Closes every connection; the store cannot be used afterwards.
    public func close() async {
        switch backend {
        case .sqlite(let sqlite): try? await sqlite.close()
        case .postgres(let postgres): await postgres.close()
        }
    }

    // MARK: schema

    /// Whether the database holds Signet's schema (any migration has run), read before migrating.
    public func hasSchema() async throws -> Bool {
        try await withMigrationExecutor { try SchemaMigrations.hasSchema($0) }
    }

    /// Brings the schema up to date, each migration in a transaction of its own.
    /// Runs the migrations not yet applied; `progress` gets the count done and the count due after each.
    public func migrate(progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws {
        try await withMigrationExecutor { try SchemaMigrations.run(on: $0, progress: progress) }
    }

    private func withMigrationExecutor<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        do {
            switch backend {
            case .sqlite(let sqlite): return try await sqlite.withWriter(body)
            case .postgres(let postgres): return try await postgres.withExecutor(body)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    // MARK: errors

    /// Database errors in the store's terms: broken uniqueness rules, an unreachable or failing
    /// database; anything else (the caller's own errors among them) passes unchanged.
    static func translate(_ error: any Error) -> any Error {
        switch error {
        case let error as DatabaseError:
            switch error.resultCode {
            case .SQLITE_CONSTRAINT: return StoreError.uniqueViolation(error.message ?? "constraint failed")
            case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_NOMEM,
                .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_MISUSE:
                return StoreError.unavailable("SQLite: \(error.message ?? String(describing: error.resultCode))")
            default: return error
            }
        case let error as PSQLError:
            return translate(error)
        case is NIOConnectionError, is ChannelError, is IOError:
            return StoreError.unavailable("the database cannot be reached (\(error))")
        default:
            return error
        }
    }

    /// PostgreSQL's errors: lost connections and shutdowns are `unavailable`; broken constraints,
    /// serialization failures and deadlocks are retried like uniqueness races.
    static func translate(_ error: PSQLError) -> any Error {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return StoreError.unavailable("the database connection was lost")
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) {
                return StoreError.unavailable("the database is shutting down or refuses connections (\(state))")
            }
            let message = error.serverInfo?[.message] ?? state
            if state.hasPrefix("23") || ["40001", "40P01"].contains(state) {
                return StoreError.uniqueViolation("\(message) (\(state))")
            }
            // The server's own words (never the statement's values, which may hold secrets).
            return StoreError.inconsistent("PostgreSQL refused a statement: \(message) (\(state))")
        default:
            return error
        }
    }
}

/// Read-only access to the store: the handle dialects get, so that a route can look but every
/// change goes through the registration authority.
public struct StoreReader: Sendable {
    let store: SignetStore

    public func read<T: Sendable>(_ body: @escaping @Sendable (ReadSession) throws -> T) async throws -> T {
        try await store.read(body)
    }
}

/// JSON for the columns that hold lists and nested objects.
enum JSONColumn {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// One decoder for every column: it keeps no state between calls.
    private static let decoder = JSONDecoder()
    private static let recent = RecentlyDecoded()

    /// The value `text` holds. An order is read several times per request and per ACME flow with
    /// the same names and options: a value decoded lately is taken from memory (values are
    /// immutable, so a copy is as good as a fresh decode).
    static func decode<T: Decodable & Sendable>(_ type: T.Type, from text: String) throws -> T {
        let key = RecentlyDecoded.Key(type: ObjectIdentifier(T.self), text: text)
        if let known = recent[key] as? T {
            StoreMetrics.jsonColumn(remembered: true)
            return known
        }
        StoreMetrics.jsonColumn(remembered: false)
        let value = try decoder.decode(type, from: Data(text.utf8))
        recent[key] = value
        return value
    }
}

/// The last few thousand column values decoded, by type and text.
private final class RecentlyDecoded: @unchecked Sendable {
    struct Key: Hashable {
        let type: ObjectIdentifier
        let text: String
    }

    private let lock = NSLock()
    private var values: [Key: any Sendable] = [:]

    subscript(key: Key) -> (any Sendable)? {
        get { lock.withLock { values[key] } }
        set {
            // Long texts are rare and would make the memory large; they are decoded each time.
            guard key.text.utf8.count <= 4096, let newValue else { return }
            lock.withLock {
                if values.count >= 4096 { values.removeAll(keepingCapacity: true) }
                values[key] = newValue
            }
        }
    }
}
