import Foundation
import SignetCore

/// Decodes a record from a row: each property from the column of its snake-case name
/// (``SnakeCase``), a missing column read as NULL. Only flat records: nested values are JSON
/// columns, decoded by their record.
struct RowDecoder: Decoder {
    let row: SQLRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a row is not a list"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a row has named columns"))
    }

    private struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: SQLRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.names.compactMap { Key(stringValue: $0) } }

        private func column(_ key: Key) -> String { SnakeCase.name(for: key.stringValue) }
        private func value(_ key: Key) -> SQLValue { row.value(ofProperty: key.stringValue) }

        func contains(_ key: Key) -> Bool { row.columns.index(ofProperty: key.stringValue) != nil }
        func decodeNil(forKey key: Key) throws -> Bool { value(key).isNull }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(key).bool(column(key)) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(key).string(column(key)) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(key).double(column(key)) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try value(key).double(column(key))) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(key).int(column(key)) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(key).int64(column(key)) }

        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try narrow(key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try narrow(key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try narrow(key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try narrow(key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try narrow(key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try narrow(key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try narrow(key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try narrow(key) }

        private func narrow<T: FixedWidthInteger>(_ key: Key) throws -> T {
            let wide = try value(key).int64(column(key))
            guard let narrow = T(exactly: wide) else {
                throw SQLDecodingError(column: column(key), expected: "\(T.self)", found: value(key))
            }
            return narrow
        }

        // Optional properties: one column lookup each, where the protocol's default looks the
        // column up three times (`contains`, `decodeNil`, `decode`).
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
            try present(key).map { try $0.bool(column(key)) }
        }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
            try present(key).map { try $0.string(column(key)) }
        }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
            try present(key).map { try $0.double(column(key)) }
        }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
            try present(key).map { try $0.int(column(key)) }
        }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
            try present(key).map { try $0.int64(column(key)) }
        }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            try present(key).map { try decode(type, from: $0, forKey: key) }
        }

        private func present(_ key: Key) -> SQLValue? {
            let value = value(key)
            return value.isNull ? nil : value
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try decode(type, from: value(key), forKey: key)
        }

        private func decode<T: Decodable>(_ type: T.Type, from value: SQLValue, forKey key: Key) throws -> T {
            // The column's name only words an error: it is looked up then, not for every value.
            let decoded: Any
            switch type {
            case is Date.Type: decoded = try value.date(column(key))
            case is Data.Type: decoded = Data(try value.bytes(column(key)))
            case is [UInt8].Type: decoded = try value.bytes(column(key))
            default: decoded = ()
            }
            guard let typed = decoded as? T else {
                throw DecodingError.typeMismatch(
                    type, .init(codingPath: [key], debugDescription: "column \(column(key)) cannot hold a \(T.self)"))
            }
            return typed
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "rows are flat"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "rows are flat"))
        }

        func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
    }
}

/// Encodes a flat record into columns (snake-case names) and values, for an INSERT. Properties
/// that are `nil` are left out, so the column takes its default (NULL, or the table's own default).
final class RowEncoder: Encoder {
    private(set) var columns: [String] = []
    private(set) var values: [SQLValue] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func encode(_ value: some Encodable) throws -> (columns: [String], values: [SQLValue]) {
        let encoder = RowEncoder()
        try value.encode(to: encoder)
        return (encoder.columns, encoder.values)
    }

    fileprivate func append(_ key: some CodingKey, _ value: SQLValue) {
        columns.append(SnakeCase.name(for: key.stringValue))
        values.append(value)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Columns<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        preconditionFailure("RowEncoder encodes flat records only")
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        preconditionFailure("RowEncoder encodes flat records only")
    }

    private struct Columns<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: RowEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil(forKey key: Key) throws { encoder.append(key, .null) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { encoder.append(key, .bool(value)) }
        mutating func encode(_ value: String, forKey key: Key) throws { encoder.append(key, .text(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { encoder.append(key, .real(value)) }
        mutating func encode(_ value: Float, forKey key: Key) throws { encoder.append(key, .real(Double(value))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { encoder.append(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { encoder.append(key, .integer(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { encoder.append(key, .integer(Int64(value))) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            switch value {
            case let date as Date: encoder.append(key, .date(date))
            case let data as Data: encoder.append(key, .blob([UInt8](data)))
            case let bytes as [UInt8]: encoder.append(key, .blob(bytes))
            case let bindable as any SQLBindable: encoder.append(key, bindable.sqlValue)
            default:
                throw EncodingError.invalidValue(
                    value, .init(codingPath: [key], debugDescription: "a column cannot hold a \(T.self); store it as JSON"))
            }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        )
            -> KeyedEncodingContainer<NestedKey>
        {
            preconditionFailure("RowEncoder encodes flat records only")
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            preconditionFailure("RowEncoder encodes flat records only")
        }

        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }
}
