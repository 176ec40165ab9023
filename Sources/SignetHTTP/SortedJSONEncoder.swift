import Foundation
import SignetCore

/// Encodes a value as `JSONEncoder` does with sorted keys, unescaped slashes and snake-case keys
/// (``SnakeCase``, for properties; a `[String: …]` dictionary's keys are written as they are),
/// without its cost: `JSONEncoder` boxes every value, asks the key strategy for every key through
/// a coding path, and took a sixth of a `GET /order/certificate/{id}`. Scalars are written as
/// ``JSONWriter`` writes them; objects keep their members' bytes and are sorted once, by bytes.
public enum SortedJSONEncoder {
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = NodeEncoder()
        try value.encode(to: encoder)
        var out: [UInt8] = []
        out.reserveCapacity(2048)
        (encoder.node ?? .scalar(Array("{}".utf8))).write(into: &out)
        return out
    }
}

/// A value being encoded: scalars as their JSON bytes, containers filled in place.
private enum Node {
    case scalar([UInt8])
    case object(ObjectBox)
    case array(ArrayBox)

    func write(into out: inout [UInt8]) {
        switch self {
        case .scalar(let bytes): out += bytes
        case .array(let box):
            out.append(UInt8(ascii: "["))
            for (index, element) in box.elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            out.append(UInt8(ascii: "{"))
            // By key, and by order of encoding within a key: a key encoded twice keeps its last value.
            let members = box.members.enumerated().sorted {
                $0.element.key == $1.element.key
                    ? $0.offset < $1.offset : $0.element.key.utf8.lexicographicallyPrecedes($1.element.key.utf8)
            }
            var first = true
            for (index, member) in members.enumerated() {
                if index + 1 < members.count, members[index + 1].element.key == member.element.key { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out += Node.string(member.element.key)
                out.append(UInt8(ascii: ":"))
                member.element.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func string(_ text: String) -> [UInt8] {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.string(text)
        return writer.bytes
    }

    static func number(_ value: Double) -> [UInt8] {
        var writer = JSONWriter()
        writer.number(value)
        return writer.bytes
    }
}

/// `[String: some Encodable]`, whose members are encoded under their own keys.
private protocol StringKeyedDictionary {
    var members: [(String, any Encodable)] { get }
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    fileprivate var members: [(String, any Encodable)] { map { ($0.key, $0.value) } }
}

/// An object's members in the order they were encoded (a list, not a dictionary: objects are
/// small, and hashing every key cost more than sorting them once when written).
private final class ObjectBox {
    var members: [(key: String, value: Node)] = []

    /// A member; a key set again replaces its value when the object is written.
    func set(_ key: String, _ value: Node) { members.append((key, value)) }
}

private final class ArrayBox {
    var elements: [Node] = []
}

/// The scalar bytes of the types `JSONEncoder` writes as JSON scalars; `nil` for any other type.
private func scalar(_ value: some Encodable) -> [UInt8]? {
    switch value {
    case let text as String: return Node.string(text)
    case let flag as Bool: return Array((flag ? "true" : "false").utf8)
    case let number as Double: return Node.number(number)
    case let number as Float: return Node.number(Double(number))
    case let number as any BinaryInteger: return Array(String(describing: number).utf8)
    default: return nil
    }
}

private final class NodeEncoder: Encoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var node: Node?

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ObjectBox
        if case .object(let existing)? = node {
            box = existing
        } else {
            box = ObjectBox()
            node = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing)? = node {
            box = existing
        } else {
            box = ArrayBox()
            node = .array(box)
        }
        return UnkeyedContainer(box: box)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(encoder: self) }

    /// The node of `value`, encoded by itself.
    static func node(of value: some Encodable) throws -> Node {
        if let bytes = scalar(value) { return .scalar(bytes) }
        if let dictionary = value as? any StringKeyedDictionary {
            // A dictionary's keys are data, written as they are (JSONEncoder's key strategy spares them).
            let box = ObjectBox()
            for (key, member) in dictionary.members { box.set(key, try node(of: member)) }
            return .object(box)
        }
        let encoder = NodeEncoder()
        try value.encode(to: encoder)
        // A value that encodes nothing is an empty object, as `JSONEncoder` writes it.
        return encoder.node ?? .object(ObjectBox())
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    var codingPath: [any CodingKey] { [] }

    private func name(_ key: Key) -> String { SnakeCase.name(for: key.stringValue) }

    mutating func encodeNil(forKey key: Key) { box.set(name(key), .scalar(Array("null".utf8))) }
    // The common scalars, without the generic path's casts.
    mutating func encode(_ value: String, forKey key: Key) { box.set(name(key), .scalar(Node.string(value))) }
    mutating func encode(_ value: Int, forKey key: Key) { box.set(name(key), .scalar(Array(String(value).utf8))) }
    mutating func encode(_ value: Bool, forKey key: Key) {
        box.set(name(key), .scalar(Array((value ? "true" : "false").utf8)))
    }
    mutating func encode(_ value: Double, forKey key: Key) { box.set(name(key), .scalar(Node.number(value))) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) { if let value { encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) { if let value { encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { if let value { encode(value, forKey: key) } }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) { if let value { encode(value, forKey: key) } }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        box.set(name(key), try NodeEncoder.node(of: value))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.set(name(key), .object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.set(name(key), .array(nested))
        return UnkeyedContainer(box: nested)
    }

    mutating func superEncoder() -> any Encoder { SuperEncoder(parent: box, name: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { SuperEncoder(parent: box, name: name(key)) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: ArrayBox
    var codingPath: [any CodingKey] { [] }
    var count: Int { box.elements.count }

    mutating func encodeNil() { box.elements.append(.scalar(Array("null".utf8))) }
    mutating func encode(_ value: some Encodable) throws { box.elements.append(try NodeEncoder.node(of: value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.elements.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.elements.append(.array(nested))
        return UnkeyedContainer(box: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let holder = ObjectBox()
        box.elements.append(.object(holder))
        return SuperEncoder(parent: holder, name: "super")
    }
}

private struct SingleValue: SingleValueEncodingContainer {
    let encoder: NodeEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() { encoder.node = .scalar(Array("null".utf8)) }
    mutating func encode(_ value: some Encodable) throws { encoder.node = try NodeEncoder.node(of: value) }
}

/// An encoder whose result becomes member `name` of `parent` (a class's `super`).
private final class SuperEncoder: Encoder {
    let parent: ObjectBox
    let name: String
    let inner = NodeEncoder()
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(parent: ObjectBox, name: String) {
        self.parent = parent
        self.name = name
    }

    deinit { parent.set(name, inner.node ?? .object(ObjectBox())) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { inner.unkeyedContainer() }
    func singleValueContainer() -> any SingleValueEncodingContainer { inner.singleValueContainer() }
}
