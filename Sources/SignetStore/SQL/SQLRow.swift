import Foundation

/// The column names of one result, shared by its rows.
final class SQLColumns: Sendable {
    let names: [String]
    private let indexes: [String: Int]

    init(_ names: [String]) {
        self.names = names
        var indexes: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexes[name] == nil { indexes[name] = index }
        self.indexes = indexes
    }

    func index(of name: String) -> Int? { indexes[name] }
}

/// One row of a result, read by column name.
struct SQLRow: Sendable {
    let columns: SQLColumns
    let values: [SQLValue]

    /// The column's value; `.null` for a column the row does not have, as for a NULL.
    subscript(_ column: String) -> SQLValue {
        guard let index = columns.index(of: column), index < values.count else { return .null }
        return values[index]
    }

    func contains(_ column: String) -> Bool { columns.index(of: column) != nil }

    func int(_ column: String) throws -> Int { try self[column].int(column) }
    func int64(_ column: String) throws -> Int64 { try self[column].int64(column) }
    func string(_ column: String) throws -> String { try self[column].string(column) }
    func bool(_ column: String) throws -> Bool { try self[column].bool(column) }
    func date(_ column: String) throws -> Date { try self[column].date(column) }
    func bytes(_ column: String) throws -> [UInt8] { try self[column].bytes(column) }

    func optionalInt(_ column: String) throws -> Int? {
        let value = self[column]
        return value.isNull ? nil : try value.int(column)
    }

    func optionalString(_ column: String) throws -> String? {
        let value = self[column]
        return value.isNull ? nil : try value.string(column)
    }

    func optionalDate(_ column: String) throws -> Date? {
        let value = self[column]
        return value.isNull ? nil : try value.date(column)
    }

    /// The row as a `Decodable` value whose properties are the columns in camel case.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: RowDecoder(row: self))
    }
}
