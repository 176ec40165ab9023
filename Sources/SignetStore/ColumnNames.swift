import SQLKit
import SignetCore

/// Column names for the records' property names, through ``SnakeCase``'s cache.
enum ColumnNames {
    static let decoding = SQLRowDecoder.KeyDecodingStrategy.custom(SnakeCase.key(for:))
    static let encoding = SQLQueryEncoder.KeyEncodingStrategy.custom(SnakeCase.key(for:))
}
