/// Base64url without padding (RFC 4648 5), as JOSE and ACME write it. Every ACME request decodes
/// several values and every answer encodes some (a nonce, URLs, tokens), and the benchmark client
/// encodes each JWS and CSR: it works on contiguous bytes, three in and four out at a time,
/// without Foundation's string replacing or a generic step per byte.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Each ASCII byte's six-bit value; 0xFF for a byte outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    private static func encode(_ input: UnsafeRawBufferPointer) -> String {
        let whole = input.count / 3
        let rest = input.count % 3
        // Four characters per three bytes, and two or three for the one or two left over.
        let length = whole * 4 + (rest == 0 ? 0 : rest + 1)
        return String(unsafeUninitializedCapacity: length) { output in
            alphabet.withUnsafeBufferPointer { table in
                func character(_ bits: UInt32, _ shift: UInt32) -> UInt8 { table[Int(bits >> shift & 0x3F)] }
                var next = 0
                for group in 0..<whole {
                    let start = group * 3
                    let bits = UInt32(input[start]) << 16 | UInt32(input[start + 1]) << 8 | UInt32(input[start + 2])
                    output[next] = character(bits, 18)
                    output[next + 1] = character(bits, 12)
                    output[next + 2] = character(bits, 6)
                    output[next + 3] = character(bits, 0)
                    next += 4
                }
                if rest > 0 {
                    let start = whole * 3
                    let bits = UInt32(input[start]) << 16 | (rest == 2 ? UInt32(input[start + 1]) << 8 : 0)
                    output[next] = character(bits, 18)
                    output[next + 1] = character(bits, 12)
                    if rest == 2 { output[next + 2] = character(bits, 6) }
                }
                return length
            }
        }
    }

    /// `nil` for anything but unpadded base64url (a length that leaves one character over, a
    /// character outside the alphabet, padding).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { characters -> [UInt8]? in
            guard characters.count % 4 != 1 else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(characters.count * 3 / 4)
            var buffer: UInt32 = 0
            var bits = 0
            return values.withUnsafeBufferPointer { table -> [UInt8]? in
                for character in characters {
                    let value = table[Int(character)]
                    guard value != 0xFF else { return nil }
                    buffer = buffer << 6 | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                        buffer &= (1 << UInt32(bits)) - 1
                    }
                }
                return output
            }
        }
    }
}
