import Foundation
import SignetCore

/// A parsed JSON document, read field by field so that every type mismatch becomes a precise
/// `invalid_value:<path>` rather than a generic decoding failure, and unknown keys are ignored.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The integer a JSON number stands for, when it is exactly one and within ±2^53 (where a double
    /// still counts every integer); `nil` otherwise. The one conversion of a client's number to an
    /// integer, so that `1e300` or `9.3e18` is refused as a value instead of trapping the process.
    public static func integer(_ value: Double) -> Int? {
        guard abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int(exactly: value)
    }

    /// Parses a request body; `nil` when it is not JSON.
    public static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        JSONParser.parse(Array(bytes))
    }

    /// The value with object keys sorted, as bytes: equal documents give equal bytes.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .number(let value): out += Array("\(value)".utf8)
        case .string(let value): out += Array(value.debugDescription.utf8)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += Array(key.debugDescription.utf8)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// Typed, path-aware access to the fields of a JSON object. Absent and `null` read as `nil`;
/// a present value of the wrong type throws `OrderRuleError.invalidValue` naming its path.
public struct JSONFields: Sendable {
    public let fields: [String: JSONValue]
    /// `""` at the root, `"certificate."` inside `certificate`, and so on.
    public let path: String

    public init?(_ value: JSONValue, path: String = "") {
        guard case .object(let fields) = value else { return nil }
        self.fields = fields
        self.path = path
    }

    public init(fields: [String: JSONValue], path: String = "") {
        self.fields = fields
        self.path = path
    }

    public func has(_ key: String) -> Bool {
        if case .null? = fields[key] { return false }
        return fields[key] != nil
    }

    private func invalid(_ key: String, _ expected: String) -> OrderRuleError {
        .invalidValue(field: path + key, reason: "expected \(expected)")
    }

    /// A string; an integral number (`"id": 12`) reads as its decimal text, any other number is refused.
    public func string(_ key: String) throws(OrderRuleError) -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case .number(let value)?:
            guard let integer = JSONValue.integer(value) else { throw invalid(key, "a string") }
            return String(integer)
        default: throw invalid(key, "a string")
        }
    }

    public func int(_ key: String) throws(OrderRuleError) -> Int? {
        switch fields[key] {
        case nil, .null?: return nil
        case .number(let value)?:
            guard let integer = JSONValue.integer(value) else { throw invalid(key, "an integer") }
            return integer
        case .string(let text)?:
            if text.trimmingWhitespace().isEmpty { return nil }
            if let value = Int(text.trimmingWhitespace()) { return value }
            throw invalid(key, "an integer")
        default: throw invalid(key, "an integer")
        }
    }

    public func bool(_ key: String) throws(OrderRuleError) -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case .number(let value)? where value == 0 || value == 1: return value == 1
        case .string(let text)?:
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no", "": return false
            default: throw invalid(key, "true or false")
            }
        default: throw invalid(key, "true or false")
        }
    }

    /// A list of strings; a single string counts as a list of one.
    public func strings(_ key: String) throws(OrderRuleError) -> [String]? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let value)?: return [value]
        case .array(let values)?:
            var result: [String] = []
            for value in values {
                guard case .string(let text) = value else { throw invalid(key, "a list of strings") }
                result.append(text)
            }
            return result
        default: throw invalid(key, "a list of strings")
        }
    }

    public func object(_ key: String) throws(OrderRuleError) -> JSONFields? {
        switch fields[key] {
        case nil, .null?: return nil
        case let value?:
            guard let object = JSONFields(value, path: path + key + ".") else { throw invalid(key, "an object") }
            return object
        }
    }

    /// A list of objects; a single object counts as a list of one.
    public func objects(_ key: String) throws(OrderRuleError) -> [JSONFields]? {
        switch fields[key] {
        case nil, .null?: return nil
        case .object(let fields)?: return [JSONFields(fields: fields, path: path + key + ".")]
        case .array(let values)?:
            var result: [JSONFields] = []
            for value in values {
                guard let object = JSONFields(value, path: path + key + ".") else { throw invalid(key, "a list of objects") }
                result.append(object)
            }
            return result
        default: throw invalid(key, "a list of objects")
        }
    }
}
