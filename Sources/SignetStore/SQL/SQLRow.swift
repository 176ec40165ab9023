import Foundation
import SignetCore

/// The column names of one result, shared by its rows and by every result with the same columns.
final class SQLColumns: Sendable {
    let names: [String]
    private let indexes: [String: Int]
    /// The columns by the property name a record gives them (`order_id` → `orderId`), so that
    /// decoding a record looks each property up once instead of converting its name first.
    private let propertyIndexes: [String: Int]

    private init(_ names: [String]) {
        self.names = names
        var indexes: [String: Int] = [:]
        var propertyIndexes: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexes[name] == nil {
            indexes[name] = index
            propertyIndexes[Self.camelCase(name)] = index
        }
        self.indexes = indexes
        self.propertyIndexes = propertyIndexes
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var known: [[String]: SQLColumns] = [:]

    /// The columns `names`, made once per distinct list.
    static func named(_ names: [String]) -> SQLColumns {
        if let columns = lock.withLock({ known[names] }) { return columns }
        let columns = SQLColumns(names)
        lock.withLock {
            if known.count > 1_000 { known.removeAll() }
            known[names] = columns
        }
        return columns
    }

    func index(of name: String) -> Int? { indexes[name] }

    /// The column of property `property`: by its camel-case name, else by its snake-case one
    /// (`dcvJSONText` reads `dcv_json_text`).
    func index(ofProperty property: String) -> Int? {
        propertyIndexes[property] ?? indexes[SnakeCase.name(for: property)]
    }

    private static func camelCase(_ column: String) -> String {
        let words = column.split(separator: "_")
        guard let first = words.first else { return column }
        return words.dropFirst().reduce(String(first)) { $0 + $1.prefix(1).uppercased() + $1.dropFirst() }
    }
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

    /// The value of the column property `property` is read from (``SQLColumns/index(ofProperty:)``).
    func value(ofProperty property: String) -> SQLValue {
        guard let index = columns.index(ofProperty: property), index < values.count else { return .null }
        return values[index]
    }

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
