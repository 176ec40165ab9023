/// Hexadecimal text of bytes (hashes, serial numbers, ids), without `String(format:)`, which
/// costs more than the hash it prints.
public enum Hex {
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String { text(bytes, digits: lower) }

    public static func uppercase(_ bytes: some Sequence<UInt8>) -> String { text(bytes, digits: upper) }

    private static let lower = Array("0123456789abcdef".utf8)
    private static let upper = Array("0123456789ABCDEF".utf8)

    private static func text(_ bytes: some Sequence<UInt8>, digits: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
