import SignetHTTP
import SignetRA

/// A minimal ZIP writer: stored (uncompressed) entries, which every unzip tool reads.
/// Certificate bundles are a few kilobytes; compression would not be worth a dependency.
struct ZipArchive {
    private var local: [UInt8] = []
    private var central: [UInt8] = []
    private var count: UInt16 = 0

    /// DOS date and time of 1980-01-01 00:00: fixed so that equal content gives equal bytes.
    private static let dosTime: UInt16 = 0
    private static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    mutating func add(name: String, contents: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(contents)
        let offset = UInt32(local.count)
        local.appendLE(UInt32(0x0403_4B50))
        local.appendLE(UInt16(10))  // version needed: stored
        local.appendLE(UInt16(0x0800))  // UTF-8 names
        local.appendLE(UInt16(0))  // method: stored
        local.appendLE(Self.dosTime)
        local.appendLE(Self.dosDate)
        local.appendLE(crc)
        local.appendLE(UInt32(contents.count))
        local.appendLE(UInt32(contents.count))
        local.appendLE(UInt16(nameBytes.count))
        local.appendLE(UInt16(0))
        local += nameBytes
        local += contents

        central.appendLE(UInt32(0x0201_4B50))
        central.appendLE(UInt16(0x0314))  // made by: UNIX, 2.0
        central.appendLE(UInt16(10))
        central.appendLE(UInt16(0x0800))
        central.appendLE(UInt16(0))
        central.appendLE(Self.dosTime)
        central.appendLE(Self.dosDate)
        central.appendLE(crc)
        central.appendLE(UInt32(contents.count))
        central.appendLE(UInt32(contents.count))
        central.appendLE(UInt16(nameBytes.count))
        central.appendLE(UInt16(0))  // extra
        central.appendLE(UInt16(0))  // comment
        central.appendLE(UInt16(0))  // disk
        central.appendLE(UInt16(0))  // internal attributes
        central.appendLE(UInt32(0o100644) << 16)  // regular file, rw-r--r--
        central.appendLE(offset)
        central += nameBytes
        count += 1
    }

    var bytes: [UInt8] {
        var out = local + central
        out.appendLE(UInt32(0x0605_4B50))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(0))
        out.appendLE(count)
        out.appendLE(count)
        out.appendLE(UInt32(central.count))
        out.appendLE(UInt32(local.count))
        out.appendLE(UInt16(0))
        return out
    }
}

enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
