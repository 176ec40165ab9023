import Foundation

/// The SQL dialects Signet's statements are written for. Statements use `?` placeholders and
/// `RETURNING`, which both accept (PostgreSQL gets `$1`, `$2`, … in their place).
enum SQLDialect: String, Sendable {
    case sqlite
    case postgresql
}

/// Runs statements on one connection, synchronously: inside a session, inside its transaction.
protocol SQLExecutor {
    var dialect: SQLDialect { get }
    /// Runs a statement and returns its rows.
    func rows(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow]
    /// Runs a statement that returns no rows and returns how many rows it changed.
    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int
}

/// What a session may do: ``ReadOnly`` sessions read; ``ReadWrite`` sessions run in a write
/// transaction and may also change records.
public protocol SessionAccess {}
/// The access of a read session.
public enum ReadOnly: SessionAccess {}
/// The access of a write transaction.
public enum ReadWrite: SessionAccess {}

/// One unit of work on the database, handed to a closure by ``SignetStore/read(_:)`` or
/// ``SignetStore/write(_:)`` and valid only inside it.
///
/// Statements are synchronous: on SQLite the closure runs on a reader's or the writer's own queue
/// and every statement is a C call; on PostgreSQL it runs on a thread of its own that waits for
/// each answer. Nothing in a session suspends, so a write transaction never waits on anything
/// but the database, and never on the network or a signature.
public struct StoreSession<Access: SessionAccess> {
    let executor: any SQLExecutor

    var dialect: SQLDialect { executor.dialect }
    var isPostgreSQL: Bool { executor.dialect == .postgresql }

    func rows(_ sql: String, _ values: [any SQLBindable] = []) throws -> [SQLRow] {
        StoreMetrics.statement()
        return try executor.rows(sql, values.map(\.sqlValue))
    }

    func row(_ sql: String, _ values: [any SQLBindable] = []) throws -> SQLRow? {
        try rows(sql, values).first
    }

    /// Rows decoded as `T`, whose properties are the columns in camel case.
    func all<T: Decodable>(_ type: T.Type, _ sql: String, _ values: [any SQLBindable] = []) throws -> [T] {
        try rows(sql, values).map { try $0.decode(type) }
    }

    func first<T: Decodable>(_ type: T.Type, _ sql: String, _ values: [any SQLBindable] = []) throws -> T? {
        try row(sql, values)?.decode(type)
    }

    /// The first column of the first row, as an integer (0 when there is no row or it is NULL).
    func count(_ sql: String, _ values: [any SQLBindable] = []) throws -> Int {
        guard let row = try row(sql, values), let value = row.values.first, !value.isNull else { return 0 }
        return try value.int(row.columns.names.first ?? "count")
    }

    /// `FOR UPDATE` on PostgreSQL, where another instance's transaction may hold the rows; nothing
    /// on SQLite, whose single writer already serializes every write transaction.
    var forUpdate: String { isPostgreSQL ? " FOR UPDATE" : "" }
    /// The same with `SKIP LOCKED`: how instances share background work without doing it twice.
    var forUpdateSkipLocked: String { isPostgreSQL ? " FOR UPDATE SKIP LOCKED" : "" }

    /// `(?, ?, …)` for an `IN` list of `count` values (`(NULL)` for none, which matches nothing).
    static func list(_ count: Int) -> String {
        count == 0 ? "(NULL)" : "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }

    /// Values from several lists, in order, for one statement's placeholders.
    static func binds(_ groups: [any SQLBindable]...) -> [any SQLBindable] { groups.flatMap { $0 } }

    /// This session, seen as a read session (a write transaction reads through the same methods).
    public var reading: StoreSession<ReadOnly> { StoreSession<ReadOnly>(executor: executor) }
}

extension StoreSession where Access == ReadWrite {
    @discardableResult
    func execute(_ sql: String, _ values: [any SQLBindable] = []) throws -> Int {
        StoreMetrics.statement()
        return try executor.execute(sql, values.map(\.sqlValue))
    }

    /// Inserts a record (its `nil` properties left to the table's defaults) and returns its new id.
    @discardableResult
    func insert(into table: String, _ record: some Encodable) throws -> Int {
        let (columns, values) = try RowEncoder.encode(record)
        let sql = Self.insertStatement(table, columns) + " RETURNING id"
        StoreMetrics.statement()
        guard let row = try executor.rows(sql, values).first else {
            throw StoreError.inconsistent("insert into \(table) returned no id")
        }
        return try row.int("id")
    }

    /// Inserts a record of a table without an `id` column.
    func insertWithoutID(into table: String, _ record: some Encodable, onConflictDoNothing: Bool = false) throws {
        let (columns, values) = try RowEncoder.encode(record)
        StoreMetrics.statement()
        _ = try executor.execute(
            Self.insertStatement(table, columns) + (onConflictDoNothing ? " ON CONFLICT DO NOTHING" : ""), values)
    }

    static func insertStatement(_ table: String, _ columns: [String]) -> String {
        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(list(columns.count))"
    }
}

/// A read session.
public typealias ReadSession = StoreSession<ReadOnly>
/// A write transaction.
public typealias WriteSession = StoreSession<ReadWrite>
