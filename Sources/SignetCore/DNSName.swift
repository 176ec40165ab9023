/// A DNS name that a certificate may carry: lower case, no trailing dot, LDH labels,
/// optionally a single leading `*` label, in the public DNS.
///
/// The rules are those of RFC 1034/5890 preferred name syntax as the CA/Browser Forum
/// Baseline Requirements apply them (7.1.4.2): no underscores, labels of at most 63
/// octets, at most 253 in all, A-labels that decode to a valid U-label, and never an
/// Internal Name (BR 1.6.1): a reserved or special-use suffix, a top-level domain that the
/// Public Suffix List does not know, or a public suffix itself. A wildcard must sit below a
/// registrable domain (BR 3.2.2.6: never `*.co.uk`).
public struct DNSName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: String

    /// Why a string is not a name Signet issues for.
    public enum Problem: Error, Sendable, Equatable {
        case empty
        case tooLong
        case badLabel(String)
        case misplacedWildcard
        case singleLabel
        case reserved(suffix: String)
        case ipAddress
        case wildcardTooBroad
        /// An `xn--` label that is not the Punycode of a valid internationalized label.
        case invalidPunycode(String)
        /// A top-level domain that is not in the public DNS.
        case unknownTopLevelDomain(String)
        /// The name is itself a public suffix (`co.uk`): nobody registers it.
        case publicSuffix(String)
    }

    /// Suffixes that name no public namespace, or none that a publicly-trusted certificate may carry:
    /// RFC 6761 and 7686 special-use names, RFC 2606 examples, ICANN's `.internal`, the infrastructure
    /// zone `.arpa`, and the suffixes private networks commonly use.
    static let reservedSuffixes: Set<String> = [
        "localhost", "invalid", "local", "test", "example", "onion", "internal", "arpa", "alt", "lan", "corp", "home",
        "intranet", "private", "localdomain",
    ]

    /// A name already checked when it was stored (coverage of validations compares stored names).
    public init(checked value: String) { self.value = value }

    /// A name a container of `policy` may certify. A private policy accepts reserved and internal
    /// suffixes and names outside the public DNS, with the same syntax; a wildcard still needs two
    /// labels below it (`*.corp.internal`, never `*.internal`).
    public init(_ raw: String, policy: NamePolicy = .public) throws(Problem) {
        // Most names come plain (lower-case letters, digits, `-`, `.`, `*`): no copy is needed.
        let isPlain = raw.utf8.allSatisfy {
            (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x2A
        }
        var text = isPlain ? raw : raw.trimmingWhitespace().lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw .empty }
        if IPAddressText.looksLikeIPAddress(text) { throw .ipAddress }
        guard text.utf8.count <= 253 else { throw .tooLong }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*" {
                guard index == 0 else { throw .misplacedWildcard }
                continue
            }
            guard DNSName.isValidLabel(label) else {
                if label.contains("*") { throw .misplacedWildcard }
                throw .badLabel(String(label))
            }
            if label.hasPrefix("xn--"), !IDNLabel.isValidALabel(label) { throw .invalidPunycode(String(label)) }
        }
        let concrete = labels.first == "*" ? labels.dropFirst() : labels[...]
        guard let tld = concrete.last.map(String.init) else { throw .empty }
        if tld.allSatisfy(\.isASCIIDigit) { throw .ipAddress }
        if policy.isPrivate {
            if tld == "localhost" && !policy.localhost { throw .reserved(suffix: tld) }
            if labels.first == "*" && concrete.count < 2 { throw .wildcardTooBroad }
            if concrete.count < 2 && !(policy.singleLabel || (tld == "localhost" && policy.localhost)) { throw .singleLabel }
            value = text
            return
        }
        guard concrete.count >= 2 else { throw labels.first == "*" ? .wildcardTooBroad : .singleLabel }
        if DNSName.reservedSuffixes.contains(tld) { throw .reserved(suffix: tld) }
        let suffixes = PublicSuffixList.shared
        guard suffixes.isKnownTopLevelDomain(tld) else { throw .unknownTopLevelDomain(tld) }
        // The name without its wildcard label: a slice, as the labels are.
        let base = labels.first == "*" ? text.dropFirst(2) : text[...]
        if suffixes.isPublicSuffix(base) { throw labels.first == "*" ? .wildcardTooBroad : .publicSuffix(String(base)) }
        value = text
    }

    private static func isValidLabel(_ label: Substring) -> Bool {
        guard (1...63).contains(label.utf8.count) else { return false }
        guard label.first != "-", label.last != "-" else { return false }
        return label.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
        }
    }

    public var isWildcard: Bool { value.hasPrefix("*.") }

    /// The name without a leading `*.`: the domain whose control a wildcard needs.
    public var baseName: String { isWildcard ? String(value.dropFirst(2)) : value }

    /// Whether a validation of `domain` covers this name (the domain itself or any name under it).
    public func isCovered(byValidatedDomain domain: String) -> Bool {
        let base = baseName
        return base == domain || base.hasSuffix("." + domain)
    }

    public var description: String { value }
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool { lhs.value < rhs.value }
}

/// Recognises textual IP addresses, so that they are refused as DNS names with a precise reason.
enum IPAddressText {
    static func looksLikeIPAddress(_ text: String) -> Bool {
        var parts = 1
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: ":"): return true
            case UInt8(ascii: "."):
                guard digits > 0 else { return text.utf8.contains(UInt8(ascii: ":")) }
                parts += 1
                digits = 0
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if digits > 3 { return text.utf8.contains(UInt8(ascii: ":")) }
            default: return text.utf8.contains(UInt8(ascii: ":"))
            }
        }
        return parts == 4 && digits > 0
    }
}
