import Foundation
import GRDB

/// Runs Signet's statements on a GRDB connection, each prepared once per connection and cached.
struct SQLiteExecutor: SQLExecutor {
    let database: Database

    var dialect: SQLDialect { .sqlite }

    func rows(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let statement = try database.cachedStatement(sql: sql)
        let columns = SQLColumns.named(statement.columnNames)
        try statement.setArguments(Self.arguments(values))
        let cursor = ValuesCursor(statement: statement)
        var rows: [SQLRow] = []
        while let values = try cursor.next() { rows.append(SQLRow(columns: columns, values: values)) }
        return rows
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int {
        let statement = try database.cachedStatement(sql: sql)
        try statement.execute(arguments: Self.arguments(values))
        return database.changesCount
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        // Through GRDB's one non-generic initializer: the generic ones run unspecialized from this
        // module, boxing every value (about 75 allocations an order) and, for concrete values,
        // building a key path at every call. Each `DatabaseValue` converts, so it never fails.
        StatementArguments(values.map { databaseValue($0) as Any })
            ?? StatementArguments(values.map { databaseValue($0) as (any DatabaseValueConvertible)? })
    }

    /// How SQLite stores each value: booleans as 0/1 and dates as seconds since 1970 (REAL), as
    /// the databases of earlier Signet versions hold them.
    static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let value): return value.databaseValue
        case .real(let value): return value.databaseValue
        case .text(let value): return value.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        case .bool(let value): return (value ? 1 : 0 as Int64).databaseValue
        case .date(let date): return date.timeIntervalSince1970.databaseValue
        }
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: return .null
        case .int64(let value): return .integer(value)
        case .double(let value): return .real(value)
        case .string(let value): return .text(value)
        case .blob(let data): return .blob([UInt8](data))
        }
    }
}

/// A statement's rows as values, read straight from SQLite. GRDB's `Row` cursors build a
/// dictionary of lower-cased column names at every fetch, for lookups by name that Signet does
/// through ``SQLColumns`` (4 % of an order info's CPU). Stepping and its error handling are
/// GRDB's own (`DatabaseCursor`); the caller binds the arguments, which resets the statement.
private final class ValuesCursor: DatabaseCursor {
    typealias Element = [SQLValue]
    let _statement: Statement
    var _isDone = false
    private let columnCount: Int

    init(statement: Statement) {
        _statement = statement
        columnCount = statement.columnCount
    }

    func _element(sqliteStatement: SQLiteStatement) -> [SQLValue] {
        var values: [SQLValue] = []
        values.reserveCapacity(columnCount)
        // SQLite counts columns in a C int, so every index fits.
        for index in 0..<columnCount {
            let value = DatabaseValue(sqliteStatement: sqliteStatement, index: CInt(truncatingIfNeeded: index))
            values.append(SQLiteExecutor.value(value))
        }
        return values
    }
}
