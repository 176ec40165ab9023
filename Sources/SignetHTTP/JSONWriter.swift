/// Writes JSON text straight into bytes, for the responses that are large and frequent (the
/// order list, ACME's answers): `JSONEncoder`'s keyed containers and `JSONSerialization`'s
/// bridging cost more there than the rest of the request.
///
/// The caller writes keys in sorted order, as CertCentral's encoder sorts them, and
/// leaves out a key whose value is absent, as synthesized `Encodable` does. Strings are escaped
/// as JSON requires (quote, backslash and control characters); `/` and non-ASCII text are written
/// as they are, as the encoder's `withoutEscapingSlashes` writes them.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the innermost open object or array has no member yet.
    private var atFirstMember = true

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        bytes.append(UInt8(ascii: "{"))
        atFirstMember = true
        try body(&self)
        bytes.append(UInt8(ascii: "}"))
        atFirstMember = false
    }

    public mutating func array<Element>(
        _ elements: some Sequence<Element>, _ body: (inout JSONWriter, Element) throws -> Void
    ) rethrows {
        separate()
        bytes.append(UInt8(ascii: "["))
        atFirstMember = true
        for element in elements { try body(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        atFirstMember = false
    }

    /// Starts a member of the enclosing object; its value follows.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        atFirstMember = true  // the value needs no comma before it
    }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `text` with JSON's escapes; runs of bytes that need none are copied at once (a PEM chain is
    /// mostly such a run, broken every 64 characters by a line break).
    private mutating func appendEscaped(_ text: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
            runStart = index + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                bytes += "u00".utf8
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<text.count]))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public mutating func int(_ value: Int) { raw(String(value)) }

    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }

    /// A number as `JSONEncoder` writes a `Double`: whole numbers without a fraction.
    public mutating func number(_ value: Double) {
        if value == 0 {
            raw(value.sign == .minus ? "-0" : "0")
        } else if value.rounded() == value, abs(value) < 1e15 {
            raw(String(Int64(value)))
        } else {
            raw(String(value))
        }
    }

    public mutating func null() { raw("null") }

    /// `key: value` when the value is there; nothing when it is not.
    public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// A document built of dictionaries, arrays, strings, integers, doubles and booleans (as
    /// `JSONSerialization` takes one), keys sorted; anything else is written as `null`.
    public mutating func value(_ value: Any) {
        switch value {
        case let text as String: string(text)
        case let flag as Bool: bool(flag)
        case let number as Int: int(number)
        case let number as Double: self.number(number)
        case let object as [String: Any]:
            self.object { json in
                for (name, member) in object.sorted(by: { $0.key < $1.key }) {
                    json.key(name)
                    json.value(member)
                }
            }
        case let texts as [String]: array(texts) { json, text in json.string(text) }
        case let json as JSONValue: write(json)
        case let items as [Any]: array(items) { json, item in json.value(item) }
        default: null()
        }
    }

    private mutating func write(_ json: JSONValue) {
        switch json {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let items): array(items) { writer, item in writer.write(item) }
        case .object(let fields):
            object { writer in
                for (name, member) in fields.sorted(by: { $0.key < $1.key }) {
                    writer.key(name)
                    writer.write(member)
                }
            }
        }
    }

    /// Starts a member whose name is not known at compile time.
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        atFirstMember = true
    }

    private mutating func raw(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
    }

    /// A comma before every member but the first, and none before a member's value.
    private mutating func separate() {
        if !atFirstMember { bytes.append(UInt8(ascii: ",")) }
        atFirstMember = false
    }
}
