/// DNS record types Signet asks for.
public enum DNSRecordType: UInt16, Sendable {
    case a = 1
    case cname = 5
    case txt = 16
    case aaaa = 28
    case caa = 257
}

/// A CAA record (RFC 8659 4.1): flags, property tag and value.
public struct CAARecord: Sendable, Equatable {
    public let flags: UInt8
    public let tag: String
    public let value: String

    public init(flags: UInt8, tag: String, value: String) {
        self.flags = flags
        self.tag = tag
        self.value = value
    }

    /// The issuer-critical flag: a CA that does not understand the tag must not issue.
    public var isCritical: Bool { flags & 0x80 != 0 }
}

/// The data of one resource record, for the types Signet reads.
public enum DNSRecordData: Sendable, Equatable {
    case address([UInt8])
    case cname(String)
    case txt([String])
    case caa(CAARecord)
    case other
}

/// One answer record.
public struct DNSRecord: Sendable, Equatable {
    public let name: String
    public let type: UInt16
    public let ttl: UInt32
    public let data: DNSRecordData
}

/// A parsed DNS response: the response code and the answer section.
public struct DNSResponse: Sendable, Equatable {
    public static let noError: UInt8 = 0
    public static let serverFailure: UInt8 = 2
    public static let nameError: UInt8 = 3

    public let responseCode: UInt8
    public let isTruncated: Bool
    public let answers: [DNSRecord]

    /// The records of `type` in the answer, whatever their owner (the resolver may have followed CNAMEs).
    public func records(_ type: DNSRecordType) -> [DNSRecord] { answers.filter { $0.type == type.rawValue } }
}

/// Why a DNS exchange failed.
public enum DNSError: Error, Sendable, Equatable {
    case malformedResponse(String)
    case timeout
    case unreachable(String)
    case invalidName(String)
}

/// RFC 1035 messages: a recursive query for one name and type, and the parser of the answer.
/// Names are decoded with compression pointers, bounded against loops.
enum DNSMessage {
    /// A query with RD set and an EDNS(0) OPT record offering 1232-byte UDP answers.
    static func query(id: UInt16, name: String, type: DNSRecordType) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendUInt16(id)
        bytes.appendUInt16(0x0100)  // RD
        bytes.appendUInt16(1)  // QDCOUNT
        bytes.appendUInt16(0)
        bytes.appendUInt16(0)
        bytes.appendUInt16(1)  // ARCOUNT: OPT
        try appendName(name, to: &bytes)
        bytes.appendUInt16(type.rawValue)
        bytes.appendUInt16(1)  // IN
        bytes.append(0)  // OPT: root name
        bytes.appendUInt16(41)
        bytes.appendUInt16(1232)
        bytes += [0, 0, 0, 0]
        bytes.appendUInt16(0)
        return bytes
    }

    static func appendName(_ name: String, to bytes: inout [UInt8]) throws {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard trimmed.utf8.count <= 253 else { throw DNSError.invalidName(name) }
        if !trimmed.isEmpty {
            for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                let utf8 = Array(label.utf8)
                guard (1...63).contains(utf8.count) else { throw DNSError.invalidName(name) }
                bytes.append(UInt8(utf8.count))
                bytes += utf8
            }
        }
        bytes.append(0)
    }

    static func parse(_ bytes: [UInt8], expectedID: UInt16) throws -> DNSResponse {
        var reader = Reader(bytes: bytes)
        guard try reader.uint16() == expectedID else { throw DNSError.malformedResponse("unexpected id") }
        let flags = try reader.uint16()
        guard flags & 0x8000 != 0 else { throw DNSError.malformedResponse("not a response") }
        let questions = try reader.uint16()
        let answers = try reader.uint16()
        _ = try reader.uint16()
        _ = try reader.uint16()
        for _ in 0..<questions {
            _ = try reader.name()
            _ = try reader.uint16()
            _ = try reader.uint16()
        }
        var records: [DNSRecord] = []
        for _ in 0..<answers {
            let name = try reader.name()
            let type = try reader.uint16()
            _ = try reader.uint16()
            let ttl = try reader.uint32()
            let length = Int(try reader.uint16())
            let end = reader.offset + length
            guard end <= bytes.count else { throw DNSError.malformedResponse("record beyond the message") }
            let data: DNSRecordData
            switch DNSRecordType(rawValue: type) {
            case .a?, .aaaa?:
                data = .address(Array(bytes[reader.offset..<end]))
            case .cname?:
                data = .cname(try reader.name())
            case .txt?:
                var strings: [String] = []
                while reader.offset < end {
                    let count = Int(try reader.uint8())
                    strings.append(String(decoding: try reader.bytes(count), as: UTF8.self))
                }
                data = .txt(strings)
            case .caa?:
                let flags = try reader.uint8()
                let tagLength = Int(try reader.uint8())
                let tag = String(decoding: try reader.bytes(tagLength), as: UTF8.self)
                guard end >= reader.offset else { throw DNSError.malformedResponse("CAA record too short") }
                let value = String(decoding: try reader.bytes(end - reader.offset), as: UTF8.self)
                data = .caa(CAARecord(flags: flags, tag: tag.lowercased(), value: value))
            case nil:
                data = .other
            }
            reader.offset = end
            records.append(DNSRecord(name: name, type: type, ttl: ttl, data: data))
        }
        return DNSResponse(responseCode: UInt8(flags & 0x000F), isTruncated: flags & 0x0200 != 0, answers: records)
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func uint8() throws -> UInt8 {
            guard offset < bytes.count else { throw DNSError.malformedResponse("truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint16() throws -> UInt16 { UInt16(try uint8()) << 8 | UInt16(try uint8()) }

        mutating func uint32() throws -> UInt32 { UInt32(try uint16()) << 16 | UInt32(try uint16()) }

        mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, offset + count <= bytes.count else { throw DNSError.malformedResponse("truncated") }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        /// A possibly compressed name; at most 64 pointer jumps and 255 octets.
        mutating func name() throws -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var jumps = 0
            var length = 0
            while true {
                guard position < bytes.count else { throw DNSError.malformedResponse("truncated name") }
                let count = Int(bytes[position])
                if count & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count, jumps < 64 else { throw DNSError.malformedResponse("bad pointer") }
                    let target = (count & 0x3F) << 8 | Int(bytes[position + 1])
                    if !jumped { offset = position + 2 }
                    jumped = true
                    jumps += 1
                    position = target
                    continue
                }
                guard count & 0xC0 == 0 else { throw DNSError.malformedResponse("bad label") }
                position += 1
                if count == 0 { break }
                guard position + count <= bytes.count else { throw DNSError.malformedResponse("truncated label") }
                length += count + 1
                guard length <= 255 else { throw DNSError.malformedResponse("name too long") }
                labels.append(String(decoding: bytes[position..<position + count], as: UTF8.self).lowercased())
                position += count
            }
            if !jumped { offset = position }
            return labels.joined(separator: ".")
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendUInt16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }
}
