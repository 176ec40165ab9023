import FluentKit
import Logging
import NIOCore
import PostgresKit
import SQLKit

/// A PostgreSQL transaction on one pooled connection that fails fast when the connection dies.
///
/// PostgresNIO (1.33) drops a query written to a connection that has already closed and never
/// completes it: when PostgreSQL restarts in the middle of a transaction, Fluent's own
/// `transaction` sends `ROLLBACK` to the dead connection and the request waits forever. Here every
/// statement goes through ``OpenConnectionGuard``, so a lost connection is `unavailable` at once;
/// PostgreSQL itself rolls back what a lost connection left uncommitted.
enum PostgresTransaction {
    static func run<T: Sendable>(
        on database: any Database, _ body: @escaping @Sendable (StoreConnection) async throws -> T
    ) async throws -> T {
        try await database.withConnection { leased in
            guard let postgres = leased as? any PostgresDatabase, let sql = leased as? any SQLDatabase else {
                throw StoreError.unavailable("the database is not PostgreSQL")
            }
            // The lease is bound to one connection, so this hands back that very connection.
            let connection = try await postgres.withConnection { $0.eventLoop.makeSucceededFuture($0) }.get()
            let guarded = OpenConnectionGuard(base: sql, connection: connection)
            try await guarded.raw("BEGIN").run()
            do {
                let value = try await body(StoreConnection(sql: guarded))
                try await guarded.raw("COMMIT").run()
                return value
            } catch {
                if !connection.isClosed { try? await guarded.raw("ROLLBACK").run() }
                throw error
            }
        }
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
