import Foundation

/// The dated limits that the CA/Browser Forum sets for public TLS certificates and for the
/// reuse of domain validation (ballot SC-081v3), and the margin Signet keeps below them.
///
/// One type, one table: when the Forum moves a date, this is the only place to change.
public struct ValidityPolicy: Sendable {
    /// A limit and the first day (UTC) it applies to.
    public struct Step: Sendable {
        public let effective: Date
        public let maximumDays: Int
    }

    /// Maximum TLS certificate validity, newest last.
    public let certificateSteps: [Step]
    /// Maximum reuse of a domain validation, newest last.
    public let domainReuseSteps: [Step]
    /// Maximum reuse of an organization (subject identity) validation, newest last.
    public let organizationReuseSteps: [Step]
    /// Days kept below each limit. DigiCert issues 199 days under the 200-day rule;
    /// Signet does the same, so that clock skew between a CA and a browser never matters.
    public let marginDays: Int
    /// Client (S/MIME and authentication) certificates are outside the TLS rules;
    /// the S/MIME Baseline Requirements cap them at 825 days.
    public let clientMaximumDays: Int

    public init(
        certificateSteps: [Step], domainReuseSteps: [Step], organizationReuseSteps: [Step], marginDays: Int,
        clientMaximumDays: Int
    ) {
        self.certificateSteps = certificateSteps
        self.domainReuseSteps = domainReuseSteps
        self.organizationReuseSteps = organizationReuseSteps
        self.marginDays = marginDays
        self.clientMaximumDays = clientMaximumDays
    }

    public static let cabForum = ValidityPolicy(
        certificateSteps: [
            Step(effective: .distantPast, maximumDays: 398),
            Step(effective: utcDay(2026, 3, 15), maximumDays: 200),
            Step(effective: utcDay(2027, 3, 15), maximumDays: 100),
            Step(effective: utcDay(2029, 3, 15), maximumDays: 47),
        ],
        domainReuseSteps: [
            Step(effective: .distantPast, maximumDays: 398),
            Step(effective: utcDay(2026, 3, 15), maximumDays: 200),
            Step(effective: utcDay(2027, 3, 15), maximumDays: 100),
            Step(effective: utcDay(2029, 3, 15), maximumDays: 10),
        ],
        organizationReuseSteps: [
            Step(effective: .distantPast, maximumDays: 825),
            Step(effective: utcDay(2026, 3, 15), maximumDays: 398),
        ],
        marginDays: 1,
        clientMaximumDays: 825)

    /// The longest TLS certificate Signet issues on `date`, in days.
    public func maximumTLSDays(on date: Date) -> Int {
        Self.step(in: certificateSteps, on: date) - marginDays
    }

    /// How long a domain validation made on `date` may be reused, in days.
    public func domainReuseDays(on date: Date) -> Int {
        Self.step(in: domainReuseSteps, on: date) - marginDays
    }

    /// How long an organization validation made on `date` may be reused, in days.
    public func organizationReuseDays(on date: Date) -> Int {
        Self.step(in: organizationReuseSteps, on: date) - marginDays
    }

    /// The longest certificate of `product` issued on `date`, in days.
    public func maximumCertificateDays(for product: Product, on date: Date) -> Int {
        product.isTLS ? maximumTLSDays(on: date) : clientMaximumDays
    }

    private static func step(in steps: [Step], on date: Date) -> Int {
        steps.last(where: { $0.effective <= date })?.maximumDays ?? steps[0].maximumDays
    }

    /// Midnight UTC of a day (the table's dates, all valid; an invalid one would fall to the epoch).
    public static func utcDay(_ year: Int, _ month: Int, _ day: Int) -> Date {
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        return Calendar.utc.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC: every date rule of the product is stated in UTC.
    public static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()
}
