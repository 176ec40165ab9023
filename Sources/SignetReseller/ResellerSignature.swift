import Crypto
import Foundation
import SignetHTTP
import SignetRA

/// The parameters of a signed reseller call, as PHP sees them: strings and nested maps (lists
/// become maps keyed "0", "1", …). Query and JSON body merge into one tree; the query may carry
/// nested keys in PHP's bracket form (`domain_dcv[example.com]=dns`).
indirect enum PHPValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case null
    case map([String: PHPValue])

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value):
            self = .string(JSONValue.integer(value).map(String.init) ?? String(value))
        case .string(let value): self = .string(value)
        case .array(let values):
            self = .map(Dictionary(uniqueKeysWithValues: values.enumerated().map { (String($0.offset), PHPValue($0.element)) }))
        case .object(let fields): self = .map(fields.mapValues(PHPValue.init))
        }
    }

    /// Sets `value` at a PHP bracket key such as `a[b][c]`.
    mutating func set(phpKey: String, _ value: String) {
        var path: [String] = []
        if let open = phpKey.firstIndex(of: "["), phpKey.hasSuffix("]") {
            path.append(String(phpKey[..<open]))
            for part in phpKey[open...].dropFirst().dropLast().components(separatedBy: "][") { path.append(part) }
        } else {
            path = [phpKey]
        }
        insert(value, at: path[...])
    }

    private mutating func insert(_ value: String, at path: ArraySlice<String>) {
        guard let head = path.first else {
            self = .string(value)
            return
        }
        var fields: [String: PHPValue] = [:]
        if case .map(let existing) = self { fields = existing }
        var child = fields[head] ?? .null
        child.insert(value, at: path.dropFirst())
        fields[head] = child
        self = .map(fields)
    }
}

/// The HMAC-SHA256 signature of the AnquanSSL API (reseller.md 2): over
/// `<path>?<http_build_query(ksort(params))>` with the access key secret, base64.
enum ResellerSignature {
    /// How an SDK prepares values before signing.
    enum Normalization: CaseIterable {
        /// The PHP SDK: strings trimmed, empty strings dropped (as `null`).
        case php
        /// The Python, Node, Go and Java SDKs: values as sent, empty strings kept.
        case verbatim
    }

    static func sign(_ message: String, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(code).base64EncodedString()
    }

    /// The string that is signed for `parameters` (without `sign`) on `path`.
    static func stringToSign(path: String, parameters: [String: PHPValue], normalization: Normalization) -> String {
        var pairs: [String] = []
        append(.map(parameters), prefix: nil, normalization: normalization, to: &pairs)
        return path + "?" + pairs.joined(separator: "&")
    }

    private static func append(_ value: PHPValue, prefix: String?, normalization: Normalization, to pairs: inout [String]) {
        switch value {
        case .null:
            return
        case .bool(let flag):
            if let prefix { pairs.append(urlencode(prefix) + "=" + (flag ? "1" : "0")) }
        case .string(let text):
            guard let prefix else { return }
            let prepared = normalization == .php ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
            if normalization == .php && prepared.isEmpty { return }
            pairs.append(urlencode(prefix) + "=" + urlencode(prepared))
        case .map(let fields):
            for (key, value) in fields.sorted(by: { phpKeyOrder($0.key, $1.key) }) {
                append(value, prefix: prefix.map { "\($0)[\(key)]" } ?? key, normalization: normalization, to: &pairs)
            }
        }
    }

    /// `ksort`: numeric keys by value, other keys byte by byte.
    static func phpKeyOrder(_ lhs: String, _ rhs: String) -> Bool {
        if let left = Int(lhs), let right = Int(rhs) { return left < right }
        return Array(lhs.utf8).lexicographicallyPrecedes(Array(rhs.utf8))
    }

    /// PHP's `urlencode`: letters, digits and `-_.` as they are, space as `+`, everything else `%XX`.
    static func urlencode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Parses `timestamp` as the SDKs write it: China Standard Time (UTC+8) despite the trailing `Z`.
    static func parseTimestamp(_ text: String) -> Date? {
        let parts = text.replacingOccurrences(of: "Z", with: "").split(whereSeparator: { $0 == "T" || $0 == " " })
        guard parts.count == 2 else { return nil }
        let day = parts[0].split(separator: "-").compactMap { Int($0) }
        let time = parts[1].split(separator: ":").compactMap { Int($0) }
        guard day.count == 3, time.count == 3 else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (day[0], day[1], day[2])
        (components.hour, components.minute, components.second) = (time[0], time[1], time[2])
        guard components.isValidDate(in: chinaCalendar) else { return nil }
        return chinaCalendar.date(from: components)
    }

    /// Formats `date` as the SDKs do (UTC+8, literal `Z`), for the callbacks Signet signs.
    static func timestamp(_ date: Date) -> String {
        let c = chinaCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0)
    }

    /// The Gregorian calendar in UTC+8, the SDKs' time (China has no daylight saving time).
    static let chinaCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt
        return calendar
    }()
}
