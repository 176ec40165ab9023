import Foundation

/// A value bound to a statement or read from a row, in terms both backends share.
///
/// Booleans and dates keep their meaning until a backend writes them: SQLite stores them as
/// INTEGER 0/1 and as REAL seconds since 1970 (how databases written by earlier Signet versions
/// hold them), PostgreSQL as `boolean` and `timestamptz`.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
    case date(Date)
}

/// A Swift value that can be bound to a statement.
protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLBindable { var sqlValue: SQLValue { .date(self) } }
extension Data: SQLBindable { var sqlValue: SQLValue { .blob([UInt8](self)) } }
extension SQLValue: SQLBindable { var sqlValue: SQLValue { self } }

extension Optional: SQLBindable where Wrapped: SQLBindable {
    var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// Why a stored value could not be read as the type asked for.
struct SQLDecodingError: Error, CustomStringConvertible {
    let column: String
    let expected: String
    let found: SQLValue

    var description: String { "column \(column) holds \(found), not \(expected)" }
}

extension SQLValue {
    var isNull: Bool { self == .null }

    func int64(_ column: @autoclosure () -> String) throws -> Int64 {
        switch self {
        case .integer(let value): return value
        case .bool(let value): return value ? 1 : 0
        case .real(let value) where value.rounded() == value && abs(value) < 9.2e18: return Int64(value)
        case .text(let text): if let value = Int64(text) { return value }
        default: break
        }
        throw SQLDecodingError(column: column(), expected: "an integer", found: self)
    }

    func int(_ column: @autoclosure () -> String) throws -> Int {
        Int(try int64(column()))
    }

    func double(_ column: @autoclosure () -> String) throws -> Double {
        switch self {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        case .text(let text): if let value = Double(text) { return value }
        default: break
        }
        throw SQLDecodingError(column: column(), expected: "a number", found: self)
    }

    func string(_ column: @autoclosure () -> String) throws -> String {
        switch self {
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .blob(let bytes): return String(decoding: bytes, as: UTF8.self)
        default: throw SQLDecodingError(column: column(), expected: "text", found: self)
        }
    }

    func bool(_ column: @autoclosure () -> String) throws -> Bool {
        switch self {
        case .bool(let value): return value
        case .integer(let value): return value != 0
        case .text(let text) where ["true", "t", "1"].contains(text.lowercased()): return true
        case .text(let text) where ["false", "f", "0"].contains(text.lowercased()): return false
        default: throw SQLDecodingError(column: column(), expected: "a boolean", found: self)
        }
    }

    /// SQLite holds dates as seconds since 1970 (REAL, or INTEGER when whole); older rows may hold text.
    func date(_ column: @autoclosure () -> String) throws -> Date {
        switch self {
        case .date(let value): return value
        case .real(let seconds): return Date(timeIntervalSince1970: seconds)
        case .integer(let seconds): return Date(timeIntervalSince1970: Double(seconds))
        case .text(let text):
            if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
            if let date = SQLValue.isoDate(text) { return date }
        default: break
        }
        throw SQLDecodingError(column: column(), expected: "a date", found: self)
    }

    func bytes(_ column: @autoclosure () -> String) throws -> [UInt8] {
        switch self {
        case .blob(let bytes): return bytes
        case .text(let text): return Array(text.utf8)
        default: throw SQLDecodingError(column: column(), expected: "bytes", found: self)
        }
    }

    private static func isoDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
