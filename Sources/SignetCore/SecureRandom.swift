/// Bytes from the system's CSPRNG, eight at a time.
///
/// `UInt8.random(in:)` asks the kernel once per byte (a `getrandom` call each on Linux); nonces,
/// serials and tokens are made on every request, so they take whole 64-bit words instead.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            let word: UInt64 = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        bytes.removeLast(bytes.count - max(0, count))
        return bytes
    }
}
