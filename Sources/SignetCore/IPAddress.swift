#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, and whether it is one the public Internet routes to.
///
/// Outbound requests (HTTP validation, callbacks) connect only to public addresses unless the
/// operator allows private ones, so that a name pointed at `127.0.0.1`, a metadata service or an
/// office network cannot make Signet fetch from inside. Every notation of an internal address is
/// recognized: IPv4 in decimal, octal, hexadecimal and short forms as `inet_aton` reads them, and
/// IPv4 embedded in IPv6 (IPv4-compatible, IPv4-mapped, IPv4-translated, NAT64, 6to4, Teredo).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a literal address: IPv6 (brackets allowed) or IPv4 in any notation `inet_aton` accepts
    /// (`127.0.0.1`, `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`); `nil` for a host name.
    public init?(literal raw: String) {
        var text = raw
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &address) { Array($0) }
            return
        }
        guard let value = Self.parseIPv4(text) else { return nil }
        bytes = [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// `inet_aton`'s reading: one to four parts, each decimal, octal (leading 0) or hex (0x); the
    /// last part fills the remaining bytes.
    static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            var digits = Substring(part)
            var radix: UInt64 = 10
            if digits.lowercased().hasPrefix("0x") {
                radix = 16
                digits = digits.dropFirst(2)
            } else if digits.count > 1, digits.hasPrefix("0") {
                radix = 8
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty || radix == 16, digits.count <= 12,
                let value = UInt64(digits.isEmpty ? "0" : String(digits), radix: Int(radix))
            else { return nil }
            values.append(value)
        }
        var result: UInt64 = 0
        for value in values.dropLast() {
            guard value <= 0xFF else { return nil }
            result = result << 8 | value
        }
        let remainingBits = UInt64(8 * (5 - values.count))
        guard let last = values.last, last < (1 << remainingBits) else { return nil }
        result = result << remainingBits | last
        return UInt32(exactly: result)
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// Whether the public Internet routes to this address (IANA's special-purpose registries, RFC 6890).
    public var isPublic: Bool {
        isIPv4 ? Self.isPublicIPv4(bytes) : Self.isPublicIPv6(bytes)
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1], b[2]) {
        case (0, _, _), (10, _, _), (127, _, _), (169, 254, _), (192, 168, _): return false
        case (172, 16...31, _), (100, 64...127, _), (198, 18...19, _): return false
        case (192, 0, 0), (192, 0, 2), (192, 88, 99), (198, 51, 100), (203, 0, 113): return false
        case (224...255, _, _): return false
        default: return true
        }
    }

    private static func isPublicIPv6(_ b: [UInt8]) -> Bool {
        let embedded = Array(b[12...])
        // ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0:0/96 (IPv4-translated).
        if b[0..<12].allSatisfy({ $0 == 0 }) { return false }
        if b[0..<8].allSatisfy({ $0 == 0 }) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0 { return false }
        // ::ffff:0:0/96: an IPv4 address reached as itself.
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return isPublicIPv4(embedded) }
        // 64:ff9b::/96, well-known NAT64: the IPv4 address behind the translator.
        if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return isPublicIPv4(embedded) }
        // 2002::/16, 6to4: the IPv4 address of the relay, in bytes 2 to 5.
        if b[0] == 0x20 && b[1] == 0x02 { return isPublicIPv4(Array(b[2..<6])) }
        // Only global unicast (2000::/3) is public; within it, the special-purpose blocks are not.
        guard b[0] & 0xE0 == 0x20 else { return false }
        if b[0] == 0x20 && b[1] == 0x01 {
            if b[2] == 0 && b[3] == 0 { return false }  // 2001::/32 Teredo (an obfuscated IPv4 inside)
            if b[2] == 0x0D && b[3] == 0xB8 { return false }  // 2001:db8::/32 documentation
            if b[2] == 0 && (b[3] & 0xF0 == 0x10 || b[3] & 0xF0 == 0x20) { return false }  // ORCHID, ORCHIDv2
            if b[2] < 0x02 { return false }  // 2001::/23 IETF protocol assignments
        }
        if b[0] == 0x3F && b[1] == 0xFF && b[2] & 0xF0 == 0 { return false }  // 3fff::/20 documentation
        return true
    }

    /// The address as `connect(2)` and URLs take it: dotted quad, or RFC 5952 text for IPv6.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension IPAddress {
    /// An address as a certificate request names it: a dotted quad of decimal octets without leading
    /// zeros, or IPv6 text (any case, `::` allowed) without brackets, zone or embedded IPv4. Every
    /// other spelling (`0x0a.0.0.1`, `010.0.0.1`, `10.1`, `[fd00::1]`, `::ffff:10.0.0.1`) is refused:
    /// an identifier is read one way only, and an IPv4 address is named as itself.
    public init?(identifier text: String) {
        // Most names asked about are DNS names: one pass over the bytes rules them out.
        var hasColon = false
        var isDottedDecimal = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: ":") { hasColon = true }
            if byte != UInt8(ascii: "."), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { isDottedDecimal = false }
        }
        guard hasColon || isDottedDecimal else { return nil }
        if hasColon {
            guard !text.contains("."), !text.contains("%"), !text.contains("["),
                let parsed = IPAddress(literal: text), !parsed.isIPv4
            else { return nil }
            let b = parsed.bytes
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses name an IPv4 address.
            if b[0..<10].allSatisfy({ $0 == 0 }) && (b[10...11].allSatisfy { $0 == 0xFF } || b[10...11].allSatisfy { $0 == 0 }),
                !b[0..<15].allSatisfy({ $0 == 0 })
            {
                return nil
            }
            self = parsed
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), part == "0" || part.first != "0",
                let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        self.init(bytes: octets)
    }

    /// Why this address cannot name a host in a certificate (unspecified, loopback, link-local,
    /// multicast, broadcast: no network routes to them as one host); `nil` when it can.
    public var identifierProblem: String? {
        let b = bytes
        if isIPv4 {
            switch b[0] {
            case 0: return "an unspecified address"
            case 127: return "a loopback address"
            case 224...239: return "a multicast address"
            case 255 where b.allSatisfy({ $0 == 255 }): return "the broadcast address"
            case 169 where b[1] == 254: return "a link-local address"
            default: return nil
            }
        }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? "a loopback address" : "an unspecified address" }
        if b[0] == 0xFF { return "a multicast address" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "a link-local address" }
        return nil
    }

    /// Cloud metadata services, which no outbound request may reach whatever an operator lists:
    /// link-local 169.254.0.0/16 (AWS, GCP, Azure IMDS), Azure's wire server, Alibaba's, AWS's IPv6 one.
    public var isMetadataService: Bool {
        IPRange.metadataServices.contains { $0.contains(self) }
    }
}

/// A block of addresses in CIDR notation (`10.0.0.0/8`, `fd00::/8`).
public struct IPRange: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    static let metadataServices: [IPRange] = ["169.254.0.0/16", "168.63.129.16/32", "100.100.100.200/32", "fd00:ec2::/32"]
        .compactMap(IPRange.init)

    /// Parses `ADDRESS/LENGTH` (or one address, a block of one); the address must be the block's first.
    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(identifier: String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit), let value = Int(parts[1]), value <= bits else {
                return nil
            }
            length = value
        }
        let range = IPRange(network: address, prefixLength: length)
        guard range.masked(address) == address.bytes else { return nil }
        self = range
    }

    private init(network: IPAddress, prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    private func masked(_ address: IPAddress) -> [UInt8] {
        address.bytes.enumerated().map { index, byte in
            let kept = min(8, max(0, prefixLength - index * 8))
            return kept == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && masked(address) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
