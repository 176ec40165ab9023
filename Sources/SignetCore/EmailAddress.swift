/// A mailbox address as S/MIME certificates carry it in an rfc822Name: an RFC 5321
/// dot-atom local part and a DNS domain. Quoted local parts are refused on purpose:
/// few relying parties match them correctly.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    public let domain: DNSName

    public var value: String { "\(localPart)@\(domain.value)" }
    public var description: String { value }

    static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")

    /// A mailbox a certificate of a container with `policy` may carry (its domain follows the policy).
    public init?(_ raw: String, policy: NamePolicy = .public) {
        let text = raw.trimmingWhitespace()
        guard text.utf8.count <= 254, let at = text.lastIndex(of: "@") else { return nil }
        let local = String(text[..<at])
        let domainText = String(text[text.index(after: at)...])
        guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains(".."), local.allSatisfy({ $0 == "." || Self.atext.contains($0) })
        else { return nil }
        guard let domain = try? DNSName(domainText, policy: policy), !domain.isWildcard else { return nil }
        self.localPart = local
        self.domain = domain
    }
}

extension EmailAddress {
    /// Whether `raw` is a syntactically valid address to write to (RFC 5321, with RFC 6531's UTF-8):
    /// the rule for contact data (organization and technical contacts, notification and approver
    /// addresses), which is no certificate identity and follows no container's naming policy.
    /// `ops@mesh.example`, `jürgen@beispiel.de` and `"first last"@corp.internal` are addresses.
    public static func isContactAddress(_ raw: String) -> Bool {
        let text = raw.trimmingWhitespace()
        guard text.utf8.count <= 254, let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at]
        let domain = text[text.index(after: at)...]
        return isLocalPart(local) && isMailDomain(domain)
    }

    private static func isLocalPart(_ local: Substring) -> Bool {
        guard (1...64).contains(local.utf8.count) else { return false }
        if local.count >= 2, local.first == "\"", local.last == "\"" {
            // A quoted string: printable characters, with backslash escapes, no controls.
            return local.dropFirst().dropLast().unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
        }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        return local.unicodeScalars.allSatisfy { scalar in
            scalar == "." || scalar.value > 0x7F || (scalar.isASCII && atext.contains(Character(scalar)))
        }
    }

    private static func isMailDomain(_ domain: Substring) -> Bool {
        if domain.hasPrefix("["), domain.hasSuffix("]") {
            var literal = domain.dropFirst().dropLast()
            if literal.lowercased().hasPrefix("ipv6:") { literal = literal.dropFirst(5) }
            return IPAddress(identifier: String(literal)) != nil
        }
        var text = domain
        if text.hasSuffix(".") { text = text.dropLast() }
        guard (1...253).contains(text.utf8.count) else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { scalar in
                    scalar.value > 0x7F
                        || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-"))
                }
        }
    }
}
