import AsyncKit
import FluentKit
import FluentPostgresDriver
import Foundation
import NIOCore
import NIOPosix
import SQLKit
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
/// Reads run on any pooled connection. Writes run in a transaction; on SQLite they queue for the
/// single writer and share commits (``GroupCommit``), because SQLite's busy handling between
/// connections would otherwise spin and every commit waits for the disk.
public final class SignetStore: Sendable {
    private let databaseHandle: @Sendable () -> (any Database)?
    private let writerHandle: @Sendable () -> (any Database)?
    private let groupCommit: GroupCommit?

    /// - Parameters:
    ///   - database: hands out a database handle for each operation (Fluent binds handles to event
    ///     loops); `nil` once the databases are shut down.
    ///   - sqliteWriter: for SQLite, handles on connections of their own for writes, so that a write
    ///     transaction never holds the connection that reads wait for (WAL lets them run side by
    ///     side). `nil` for PostgreSQL, whose pool serves both.
    public init(
        database: @escaping @Sendable () -> (any Database)?, sqliteWriter: (@Sendable () -> (any Database)?)? = nil
    ) {
        self.databaseHandle = database
        self.writerHandle = sqliteWriter ?? database
        self.groupCommit = sqliteWriter == nil ? nil : GroupCommit()
    }

    private func makeDatabase(_ handle: @Sendable () -> (any Database)?) throws -> any Database {
        guard let database = handle() else { throw StoreError.unavailable("the database is shut down") }
        return database
    }

    /// Runs `body` outside a transaction, for reads.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreConnection) async throws -> T) async throws -> T {
        let database = try makeDatabase(databaseHandle)
        return try await translatingErrors {
            if database is any PostgresDatabase { return try await GuardedPostgres.read(on: database, body) }
            return try await body(StoreConnection(sql: database as! any SQLDatabase))
        }
    }

    /// Runs `body` in one transaction: everything it writes commits together or not at all.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreConnection) async throws -> T) async throws -> T {
        let database = try makeDatabase(writerHandle)
        return try await translatingErrors {
            if let groupCommit { return try await groupCommit.write(on: database, body) }
            if database is any PostgresDatabase { return try await GuardedPostgres.transaction(on: database, body) }
            return try await database.transaction { transaction in
                try await body(StoreConnection(sql: transaction as! any SQLDatabase))
            }
        }
    }

    private func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw StoreError.uniqueViolation(String(describing: error))
        } catch let error as PSQLError {
            throw Self.translate(error)
        } catch let error as any DatabaseError where error.isConnectionClosed {
            throw StoreError.unavailable(String(describing: error))
        } catch let error where error is NIOConnectionError || error is ChannelError
            || error is ConnectionPoolTimeoutError || error is ConnectionPoolError {
            // PostgreSQL is restarting or unreachable: a clear 503 now, success again once it is back.
            throw StoreError.unavailable("the database cannot be reached (\(error))")
        }
    }

    /// PostgreSQL's errors: lost connections and shutdowns are `unavailable`; serialization
    /// failures and deadlocks are retried like uniqueness races.
    static func translate(_ error: PSQLError) -> any Error {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return StoreError.unavailable("the database connection was lost")
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) {
                return StoreError.unavailable("the database is shutting down or refuses connections (\(state))")
            }
            if ["40001", "40P01"].contains(state) { return StoreError.uniqueViolation("serialization failure (\(state))") }
            return error
        default:
            return error
        }
    }
}

/// The operations on Signet's records, run on one connection or inside one transaction.
public struct StoreConnection: Sendable {
    let sql: any SQLDatabase

    static let decoder = SQLRowDecoder(keyDecodingStrategy: ColumnNames.decoding)
    static let encoder = SQLQueryEncoder(keyEncodingStrategy: ColumnNames.encoding, nilEncodingStrategy: .default)

    func insert(into table: String, _ row: some Encodable & Sendable) async throws -> Int {
        guard
            let id = try await sql.insert(into: table).model(row, with: Self.encoder).returning("id")
                .first(decodingColumn: "id", as: Int.self)
        else { throw StoreError.inconsistent("insert into \(table) returned no id") }
        return id
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

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }
}
