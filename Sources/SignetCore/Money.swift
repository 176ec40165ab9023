/// An amount of the account's currency in cents. Integer arithmetic only: a ledger must add up.
public struct Money: Sendable, Hashable, Comparable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var cents: Int64

    public init(cents: Int64) { self.cents = cents }

    /// Parses `"12"`, `"12.5"` or `"12.50"`; `nil` for anything else (including more than two decimals).
    public init?(decimal text: String) {
        var body = Substring(text.trimmingWhitespace())
        var negative = false
        if body.first == "-" { negative = true; body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit),
            whole.count <= 12
        else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...2).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), let parsed = Int64(digits) else {
                return nil
            }
            fraction = parsed * (digits.count == 1 ? 10 : 1)
        }
        // At most 12 digits: the product fits in 64 bits.
        guard let units = Int64(whole) else { return nil }
        let value = units * 100 + fraction
        cents = negative ? -value : value
    }

    public init(stringLiteral value: String) {
        guard let money = Money(decimal: value) else { preconditionFailure("invalid money literal \(value)") }
        self = money
    }

    public static let zero = Money(cents: 0)

    /// `"454.00"`: CertCentral renders money as strings with two decimals.
    public var description: String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// The amount as a floating-point number, for dialects that send money as JSON numbers.
    public var asDouble: Double { Double(cents) / 100 }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(cents: lhs.cents + rhs.cents) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(cents: lhs.cents - rhs.cents) }
    public static prefix func - (value: Money) -> Money { Money(cents: -value.cents) }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    /// Trims ASCII spaces, tabs and line breaks without Foundation.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
