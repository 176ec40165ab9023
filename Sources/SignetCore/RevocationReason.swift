import Foundation

/// Why a certificate was revoked, with its RFC 5280 CRLReason code.
///
/// The set is what the Baseline Requirements (7.2.2) allow for subscriber certificates and what
/// CertCentral accepts (certcentral.md 8.3). `unspecified` is never written as a reason code.
public enum RevocationReason: String, Sendable, Codable, CaseIterable {
    case unspecified
    case keyCompromise
    case affiliationChanged
    case superseded
    case cessationOfOperation
    case privilegeWithdrawn

    /// The RFC 5280 CRLReason value.
    public var code: Int {
        switch self {
        case .unspecified: return 0
        case .keyCompromise: return 1
        case .affiliationChanged: return 3
        case .superseded: return 4
        case .cessationOfOperation: return 5
        case .privilegeWithdrawn: return 9
        }
    }

    /// Accepts CertCentral's camelCase names and the snake_case spellings some clients send.
    public init?(clientValue: String) {
        let compact = clientValue.trimmingWhitespace().replacingOccurrences(of: "_", with: "").lowercased()
        guard let reason = Self.allCases.first(where: { $0.rawValue.lowercased() == compact }) else { return nil }
        self = reason
    }
}

/// When and why a certificate was revoked.
public struct Revocation: Sendable, Equatable {
    public var date: Date
    public var reason: RevocationReason

    public init(date: Date, reason: RevocationReason) {
        self.date = date
        self.reason = reason
    }
}
