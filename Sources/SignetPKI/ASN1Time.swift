import Foundation
import SignetCore
import SwiftASN1

/// Dates in DER: RFC 5280 `Time` (UTCTime until 2049, GeneralizedTime after) and GeneralizedTime.
enum ASN1Time {
    /// A date's UTC fields, each asked of the calendar (which always gives those asked for).
    private struct Parts {
        let year, month, day, hour, minute, second: Int

        init(_ date: Date) {
            let fields = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            (year, month, day) = (fields.year ?? 0, fields.month ?? 0, fields.day ?? 0)
            (hour, minute, second) = (fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0)
        }
    }

    static func generalized(_ date: Date) throws -> GeneralizedTime {
        let parts = Parts(date)
        return try GeneralizedTime(
            year: parts.year, month: parts.month, day: parts.day, hours: parts.hour, minutes: parts.minute,
            seconds: parts.second, fractionalSeconds: 0)
    }

    /// RFC 5280 4.1.2.5: UTCTime for years through 2049, GeneralizedTime from 2050.
    static func serializeTime(_ date: Date, into serializer: inout DER.Serializer) throws {
        let parts = Parts(date)
        if parts.year < 2050 {
            try serializer.serialize(
                UTCTime(
                    year: parts.year, month: parts.month, day: parts.day, hours: parts.hour, minutes: parts.minute,
                    seconds: parts.second))
        } else {
            try serializer.serialize(try generalized(date))
        }
    }
}

extension Array where Element == UInt8 {
    /// Bytes from upper- or lower-case hex; `nil` for anything else.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension DER.Serializer {
    /// An ENUMERATED of a small non-negative value (CRL reasons, OCSP response status).
    mutating func appendEnumerated(_ value: Int) {
        precondition((0..<128).contains(value))
        appendPrimitiveNode(identifier: .enumerated) { $0.append(UInt8(value)) }
    }
}
