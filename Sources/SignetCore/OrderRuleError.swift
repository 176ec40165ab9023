/// Why an order, reissue or administrative command breaks a rule of the core.
///
/// Dialect-neutral: each dialect maps a case to its own code and HTTP status in its error table.
public enum OrderRuleError: Error, Sendable, Equatable {
    /// A required field is absent; the payload is its path in the request, e.g. `certificate.csr`.
    case missingField(String)
    /// A field holds a value outside what it accepts.
    case invalidValue(field: String, reason: String)
    case unknownProduct(String)
    case invalidDNSName(String, DNSName.Problem)
    case wildcardNotAllowed(String)
    case ipAddressNotAllowed(String)
    case additionalNamesNotAllowed(String)
    case tooManyNames(limit: Int)
    case invalidEmail(String)
    case unsupportedSignatureHash(String, allowed: [SignatureHash])
    /// The certificate validity asked for is longer than the order's.
    case certificateValidityExceedsOrder
    case unknownOrganization(Int)
    case unknownContainer(Int)
    case unknownUser(Int)
    case unsupportedPaymentMethod(String)
    case insufficientFunds(needed: Money, available: Money)
    /// The same idempotency key was used before with a different request.
    case idempotencyKeyReused(String)
    case unknownProfileOption(String)
    case csrRequired
    /// The DCV method cannot validate this name (HTTP cannot validate a wildcard), or is unknown.
    case dcvMethodNotAllowed(name: String, method: String)
}

extension DNSName.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: return "the name is empty"
        case .tooLong: return "the name is longer than 253 characters"
        case .badLabel(let label):
            return "the label '\(label)' is not 1 to 63 letters, digits or inner hyphens"
        case .misplacedWildcard: return "a wildcard may only be the whole leftmost label ('*.')"
        case .singleLabel: return "a single-label name is not a public domain name"
        case .reserved(let suffix): return "names under '.\(suffix)' are reserved and cannot be certified"
        case .ipAddress: return "this is an IP address, not a DNS name"
        case .wildcardTooBroad: return "a wildcard must sit below a registered domain"
        }
    }
}
