import Foundation

/// One way of saying how long something lasts, as CertCentral's validity fields do:
/// whole years, days, or a `yyyy-MM-dd` end date.
public struct ValidityRequest: Sendable, Equatable, Codable {
    public var years: Int?
    public var days: Int?
    public var customExpirationDate: String?
    /// Where these values came from in the request, for error codes: `""` for the
    /// legacy root fields, `"order_validity."` or `"certificate.cert_validity."`.
    public var fieldPrefix: String

    public init(years: Int? = nil, days: Int? = nil, customExpirationDate: String? = nil, fieldPrefix: String) {
        self.years = years
        self.days = days
        self.customExpirationDate = customExpirationDate
        self.fieldPrefix = fieldPrefix
    }

    public var isEmpty: Bool { years == nil && days == nil && customExpirationDate == nil }

    private var yearsField: String { fieldPrefix.isEmpty ? "validity_years" : fieldPrefix + "years" }
    private var daysField: String { fieldPrefix.isEmpty ? "validity_days" : fieldPrefix + "days" }
    private var dateField: String { fieldPrefix + "custom_expiration_date" }

    /// The end this request asks for, starting at `start`, within `maximumDays` and `allowedYears`.
    /// Priority when several are given (DigiCert's rule): custom date, then days, then years.
    public func end(from start: Date, allowedYears: ClosedRange<Int>, maximumDays: Int) throws(OrderRuleError) -> Date {
        if let text = customExpirationDate {
            guard let day = Self.parseDay(text) else {
                throw .invalidValue(field: dateField, reason: "use the format yyyy-MM-dd")
            }
            let end = day.addingTimeInterval(86_399)
            guard end > start else { throw .invalidValue(field: dateField, reason: "the date must be in the future") }
            guard end <= start.addingTimeInterval(Double(maximumDays) * 86_400) else {
                throw .invalidValue(field: dateField, reason: "the date must be within \(maximumDays) days")
            }
            return end
        }
        if let days {
            guard (1...maximumDays).contains(days) else {
                throw .invalidValue(field: daysField, reason: "allowed values are 1 to \(maximumDays)")
            }
            return start.addingTimeInterval(Double(days) * 86_400)
        }
        if let years {
            guard allowedYears.contains(years) else {
                throw .invalidValue(
                    field: yearsField,
                    reason: "allowed values are \(allowedYears.lowerBound) to \(allowedYears.upperBound)")
            }
            guard let end = Calendar.utc.date(byAdding: .year, value: years, to: start) else {
                throw .invalidValue(field: yearsField, reason: "the end of \(years) years cannot be computed")
            }
            return end
        }
        throw .missingField(fieldPrefix.isEmpty ? "validity_years" : String(fieldPrefix.dropLast()))
    }

    /// Parses `yyyy-MM-dd` as midnight UTC, refusing impossible dates.
    public static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        guard components.isValidDate(in: Calendar.utc) else { return nil }
        return Calendar.utc.date(from: components)
    }
}
