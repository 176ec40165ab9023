/// A mailbox address as S/MIME certificates carry it in an rfc822Name: an RFC 5321
/// dot-atom local part and a DNS domain. Quoted local parts are refused on purpose:
/// few relying parties match them correctly.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    public let domain: DNSName

    public var value: String { "\(localPart)@\(domain.value)" }
    public var description: String { value }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")

    public init?(_ raw: String) {
        let text = raw.trimmingWhitespace()
        guard text.utf8.count <= 254, let at = text.lastIndex(of: "@") else { return nil }
        let local = String(text[..<at])
        let domainText = String(text[text.index(after: at)...])
        guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains(".."), local.allSatisfy({ $0 == "." || Self.atext.contains($0) })
        else { return nil }
        guard let domain = try? DNSName(domainText), !domain.isWildcard else { return nil }
        self.localPart = local
        self.domain = domain
    }
}
