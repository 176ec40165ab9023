import SQLKit
import SignetCore

/// Column names for the records' property names, through ``SnakeCase``'s cache.
enum ColumnNames {
    static let decoding = SQLRowDecoder.KeyDecodingStrategy.custom { path in SnakeCase.Key(SnakeCase.name(for: path.last!.stringValue)) }
    static let encoding = SQLQueryEncoder.KeyEncodingStrategy.custom { path in SnakeCase.Key(SnakeCase.name(for: path.last!.stringValue)) }
}
