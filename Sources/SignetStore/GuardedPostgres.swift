import FluentKit
import Logging
import NIOCore
import PostgresKit
import SQLKit

/// PostgreSQL work on one pooled connection that fails fast when the connection dies.
///
/// PostgresNIO (1.33) drops a query written to a connection that has already closed and never
/// completes it: when PostgreSQL restarts under load, a statement sent at the wrong moment (Fluent's
/// own `ROLLBACK` among them) waits forever. Reads and transactions alike send every statement
/// through ``OpenConnectionGuard``, so a lost connection is `unavailable` at once; PostgreSQL itself
/// rolls back what a lost connection left uncommitted.
enum GuardedPostgres {
    /// Runs `body` on one leased connection, outside a transaction.
    static func read<T: Sendable>(
        on database: any Database, _ body: @escaping @Sendable (StoreConnection) async throws -> T
    ) async throws -> T {
        try await database.withConnection { leased in
            try await body(StoreConnection(sql: try await guarded(leased)))
        }
    }

    /// Runs `body` in a transaction on one leased connection.
    static func transaction<T: Sendable>(
        on database: any Database, _ body: @escaping @Sendable (StoreConnection) async throws -> T
    ) async throws -> T {
        try await database.withConnection { leased in
            let guarded = try await guarded(leased)
            try await guarded.raw("BEGIN").run()
            do {
                let value = try await body(StoreConnection(sql: guarded))
                try await guarded.raw("COMMIT").run()
                return value
            } catch {
                if !guarded.connection.isClosed { try? await guarded.raw("ROLLBACK").run() }
                throw error
            }
        }
    }

    private static func guarded(_ leased: any Database) async throws -> OpenConnectionGuard {
        guard let postgres = leased as? any PostgresDatabase, let sql = leased as? any SQLDatabase else {
            throw StoreError.unavailable("the database is not PostgreSQL")
        }
        // The lease is bound to one connection, so this hands back that very connection.
        let connection = try await postgres.withConnection { $0.eventLoop.makeSucceededFuture($0) }.get()
        return OpenConnectionGuard(base: sql, connection: connection)
    }
}

/// Sends each statement only to an open connection: the check and the write happen in one turn of
/// the connection's event loop, where the connection cannot close in between.
struct OpenConnectionGuard: SQLDatabase {
    let base: any SQLDatabase
    let connection: PostgresConnection

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let (base, connection) = (self.base, self.connection)
        return connection.eventLoop.flatSubmit {
            guard !connection.isClosed else {
                return connection.eventLoop.makeFailedFuture(StoreError.unavailable("the database connection was lost"))
            }
            return base.execute(sql: query, onRow)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await execute(sql: query, onRow).get()
    }
}
