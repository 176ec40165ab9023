import SignetHTTP
import SignetRA

/// Writes JSON text straight into bytes, for the responses that are large and frequent (the
/// order list): `JSONEncoder`'s keyed containers cost more there than the rest of the request.
///
/// The caller writes keys in sorted order, as ``CertCentralFormat/encoder`` sorts them, and
/// leaves out a key whose value is absent, as synthesized `Encodable` does. Strings are escaped
/// as JSON requires (quote, backslash and control characters); `/` and non-ASCII text are written
/// as they are, as the encoder's `withoutEscapingSlashes` writes them.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the innermost open object or array has no member yet.
    private var atFirstMember = true

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        bytes.append(UInt8(ascii: "{"))
        atFirstMember = true
        try body(&self)
        bytes.append(UInt8(ascii: "}"))
        atFirstMember = false
    }

    mutating func array<Element>(_ elements: some Sequence<Element>, _ body: (inout JSONWriter, Element) throws -> Void) rethrows
    {
        separate()
        bytes.append(UInt8(ascii: "["))
        atFirstMember = true
        for element in elements { try body(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        atFirstMember = false
    }

    /// Starts a member of the enclosing object; its value follows.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        atFirstMember = true  // the value needs no comma before it
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ value: Int) { raw(String(value)) }

    mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }

    /// A number as `JSONEncoder` writes a `Double`: whole numbers without a fraction.
    mutating func number(_ value: Double) {
        if value.rounded() == value, abs(value) < 1e15 { raw(String(Int64(value))) } else { raw(String(value)) }
    }

    mutating func null() { raw("null") }

    /// `key: value` when the value is there; nothing when it is not.
    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
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
