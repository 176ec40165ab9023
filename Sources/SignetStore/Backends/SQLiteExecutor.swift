import Foundation
import GRDB
import GRDBSQLite

/// Runs Signet's statements on a GRDB connection, each prepared once per connection and cached.
struct SQLiteExecutor: SQLExecutor {
    let database: Database

    var dialect: SQLDialect { .sqlite }

    func rows(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let statement = try database.cachedStatement(sql: sql)
        let columns = SQLColumns.named(statement.columnNames)
        try Self.bind(values, to: statement)
        let cursor = ValuesCursor(statement: statement)
        var rows: [SQLRow] = []
        while let values = try cursor.next() { rows.append(SQLRow(columns: columns, values: values)) }
        return rows
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int {
        let statement = try database.cachedStatement(sql: sql)
        try Self.bind(values, to: statement)
        let steps = StepsCursor(statement: statement)
        while try steps.next() != nil {}
        return database.changesCount
    }

    /// Resets `statement` and binds `values` with SQLite's own calls. GRDB's `StatementArguments`
    /// reach a value only through `Any` or a generic that runs unspecialized from this module: a
    /// dynamic cast or a box per value, about 3 % of the store's CPU under the ACME load. How each
    /// value is stored is unchanged: booleans as 0/1, dates as seconds since 1970 (REAL), text and
    /// blobs as GRDB binds them (copied by SQLite).
    static func bind(_ values: [SQLValue], to statement: Statement) throws {
        let handle = statement.sqliteStatement
        // Its code repeats the last step's outcome, which the step reported already.
        _ = sqlite3_reset(handle)
        _ = sqlite3_clear_bindings(handle)
        guard Int(sqlite3_bind_parameter_count(handle)) == values.count else {
            throw StoreError.inconsistent("\(values.count) values for the parameters of: \(statement.sql)")
        }
        let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
        for (offset, value) in values.enumerated() {
            // The parameter count is a C int, so every index fits.
            let index = CInt(truncatingIfNeeded: offset + 1)
            let code: CInt
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(let text): code = sqlite3_bind_text(handle, index, text, -1, transient)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, CInt(clamping: $0.count), transient)
                }
            case .bool(let flag): code = sqlite3_bind_int64(handle, index, flag ? 1 : 0)
            case .date(let date): code = sqlite3_bind_double(handle, index, date.timeIntervalSince1970)
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: "binding parameter \(index)", sql: statement.sql)
            }
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

/// Steps a statement to its end, as `Statement.execute` does, without reading its rows.
private final class StepsCursor: DatabaseCursor {
    typealias Element = Void
    let _statement: Statement
    var _isDone = false

    init(statement: Statement) { _statement = statement }

    func _element(sqliteStatement: SQLiteStatement) {}
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
