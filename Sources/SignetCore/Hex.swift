/// Hexadecimal text of bytes (hashes, serial numbers, ids), without `String(format:)`, which
/// costs more than the hash it prints.
public enum Hex {
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String { text(bytes, digits: lower) }

    public static func uppercase(_ bytes: some Sequence<UInt8>) -> String { text(bytes, digits: upper) }

    private static let lower = Array("0123456789abcdef".utf8)
    private static let upper = Array("0123456789ABCDEF".utf8)

    private static func text(_ bytes: some Sequence<UInt8>, digits: [UInt8]) -> String {
        // The bytes in one array (a digest's `underestimatedCount` is 0, so appending grew the
        // output five times), then the text written in place: two allocations at most.
        let bytes = Array(bytes)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}
