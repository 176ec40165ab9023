import Foundation

/// A JSON document whose numbers are written exactly as given, so that a test can send `1e300`,
/// `9.3e18` or `2^63` (which JSONSerialization cannot write), and whose every field can be
/// replaced by path.
indirect enum FuzzDocument: Sendable {
    case literal(String)
    case string(String)
    case array([FuzzDocument])
    case object([(String, FuzzDocument)])

    /// A step into a document: an object's key or an array's index.
    enum Step: Sendable, Hashable, CustomStringConvertible {
        case key(String)
        case index(Int)

        var description: String {
            switch self {
            case .key(let key): return key
            case .index(let index): return "[\(index)]"
            }
        }
    }

    /// From a JSONSerialization-style value (dictionaries keep a sorted key order).
    init(_ value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let flag as Bool: self = .literal(flag ? "true" : "false")
        case let number as Int: self = .literal(String(number))
        case let number as Double: self = .literal(String(number))
        case let list as [Any]: self = .array(list.map(FuzzDocument.init))
        case let object as [String: Any]:
            self = .object(object.keys.sorted().map { ($0, FuzzDocument(object[$0] as Any)) })
        default: self = .literal("null")
        }
    }

    var text: String {
        switch self {
        case .literal(let text): return text
        case .string(let value):
            let data = (try? JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { FuzzDocument.string($0.0).text + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// Every path to a value inside the document (each field, each first element of a list).
    var paths: [[Step]] {
        switch self {
        case .literal, .string: return []
        case .array(let items):
            guard let first = items.first else { return [] }
            return [[.index(0)]] + first.paths.map { [.index(0)] + $0 }
        case .object(let fields):
            return fields.flatMap { key, value in [[Step.key(key)]] + value.paths.map { [.key(key)] + $0 } }
        }
    }

    /// The document with the value at `path` replaced by `value`.
    func replacing(_ path: ArraySlice<Step>, with value: FuzzDocument) -> FuzzDocument {
        guard let step = path.first else { return value }
        switch (self, step) {
        case (.object(let fields), .key(let key)):
            return .object(fields.map { $0.0 == key ? ($0.0, $0.1.replacing(path.dropFirst(), with: value)) : $0 })
        case (.array(let items), .index(let index)) where items.indices.contains(index):
            var copy = items
            copy[index] = items[index].replacing(path.dropFirst(), with: value)
            return .array(copy)
        default:
            return self
        }
    }

    /// Values at the edges of every JSON type: numbers a 64-bit integer cannot hold, the largest and
    /// smallest doubles, wrong types, empty and huge containers, hostile strings.
    static let boundaryValues: [FuzzDocument] = [
        .literal("1e300"), .literal("-1e300"), .literal("1e19"), .literal("9.3e18"), .literal("-9.3e18"),
        .literal("9223372036854775807"), .literal("9223372036854775808"), .literal("-9223372036854775809"),
        .literal("9007199254740993"), .literal("1e400"), .literal("0"), .literal("-1"), .literal("0.5"), .literal("1e-300"),
        .literal("true"), .literal("null"), .string(""), .string(String(repeating: "x", count: 20_000)),
        .string("\u{202E}moc.elpmaxe"), .string("\u{0}"), .string("1e300"), .string("-99999999999999999999"),
        .array([]), .object([]), .array([.array([.array([.array([.literal("1e300")])])])]),
        .object([("a", .object([("b", .literal("9.3e18"))]))]),
    ]

    /// `count` random values of every JSON type from a seeded generator, so a failure reproduces.
    static func randomValues(count: Int, seed: UInt64) -> [FuzzDocument] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { _ in random(depth: 0, using: &generator) }
    }

    private static func random(depth: Int, using generator: inout SplitMix) -> FuzzDocument {
        switch generator.next() % (depth > 2 ? 4 : 6) {
        case 0: return .literal(String(Int64(bitPattern: generator.next())))
        case 1:
            let double = Double(bitPattern: generator.next())
            return .literal(double.isFinite ? String(double) : "1e308")
        case 2:
            let scalars = (0..<Int(generator.next() % 40)).compactMap { _ in Unicode.Scalar(UInt32(generator.next() % 0x3000)) }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 3: return .literal(generator.next() % 2 == 0 ? "false" : "null")
        case 4: return .array((0..<Int(generator.next() % 4)).map { _ in random(depth: depth + 1, using: &generator) })
        default:
            return .object(
                (0..<Int(generator.next() % 4)).map { index in ("k\(index)", random(depth: depth + 1, using: &generator)) })
        }
    }
}

/// A small, seedable generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
