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
    /// An order that validates itself (``DCVScope/order``: DigiCert's DV) was asked for several methods.
    case dcvMethodsMixed([String])
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
        case .wildcardTooBroad: return "a wildcard must sit below a registrable domain, not directly under a public suffix"
        case .invalidPunycode(let label):
            return "the label '\(label)' is not the Punycode of a valid internationalized label (IDNA2008)"
        case .unknownTopLevelDomain(let tld):
            return "'.\(tld)' is not a top-level domain of the public DNS (Public Suffix List of \(PublicSuffixList.version))"
        case .publicSuffix(let name): return "'\(name)' is a public suffix, under which others register their domains"
        }
    }
}

extension OrderRuleError: CustomStringConvertible {
    /// The rule broken, as a sentence for logs and the command line (dialects render their own messages).
    public var description: String {
        switch self {
        case .missingField(let field): return "\(field) is required"
        case .invalidValue(let field, let reason): return "\(field) is invalid: \(reason)"
        case .unknownProduct(let id): return "there is no product '\(id)'"
        case .invalidDNSName(let name, let problem): return "'\(name)' is not a name Signet certifies: \(problem)"
        case .wildcardNotAllowed(let name): return "the product does not allow the wildcard '\(name)'"
        case .ipAddressNotAllowed(let name): return "the product does not allow the IP address '\(name)'"
        case .additionalNamesNotAllowed(let name): return "the product does not allow the additional name '\(name)'"
        case .tooManyNames(let limit): return "the product allows at most \(limit) names"
        case .invalidEmail(let email): return "'\(email)' is not an e-mail address"
        case .unsupportedSignatureHash(let hash, let allowed):
            return "the signature hash '\(hash)' is not allowed; use \(allowed.map(\.rawValue).joined(separator: ", "))"
        case .certificateValidityExceedsOrder: return "the certificate cannot last longer than its order"
        case .unknownOrganization(let id): return "there is no organization \(id)"
        case .unknownContainer(let id): return "there is no container \(id)"
        case .unknownUser(let id): return "there is no user \(id)"
        case .unsupportedPaymentMethod(let method): return "the payment method '\(method)' is not available"
        case .insufficientFunds(let needed, let available): return "the order costs \(needed) but only \(available) is available"
        case .idempotencyKeyReused(let key): return "the key '\(key)' was used before for another request"
        case .unknownProfileOption(let option): return "there is no profile option '\(option)'"
        case .csrRequired: return "a CSR is required"
        case .dcvMethodNotAllowed(let name, let method): return "the DCV method '\(method)' cannot validate '\(name)'"
        case .dcvMethodsMixed(let methods):
            return "a DV certificate validates all its names by one DCV method, not \(methods.joined(separator: " and "))"
        }
    }
}
