import Crypto
import Foundation
import SignetCore

/// The random values customers publish: 32 lower-case base-36 characters, as DigiCert's current
/// tokens are, from the system CSPRNG (about 165 bits; the BRs ask for 112).
public enum RandomValue {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")

    public static func make(length: Int = 32) -> String {
        var characters: [Character] = []
        characters.reserveCapacity(length)
        while characters.count < length {
            // 252 is the largest multiple of 36 below 256: bytes above it are dropped, so every
            // character is equally likely.
            for byte in SecureRandom.bytes(length) where byte < 252 && characters.count < length {
                characters.append(alphabet[Int(byte % 36)])
            }
        }
        return String(characters)
    }

    /// How long a random value stays usable (BR 3.2.2.4: at most 30 days).
    public static let lifetime: TimeInterval = 30 * 86_400
}

/// The addresses constructed for e-mail validation (BR 3.2.2.4.4): admin, administrator,
/// webmaster, hostmaster and postmaster, at the name and at its base domain.
public enum ApproverEmail {
    public static let localParts = ["admin", "administrator", "webmaster", "hostmaster", "postmaster"]

    /// The base domain of a name: its registrable domain by the Public Suffix List
    /// (`shop.example.co.uk` → `example.co.uk`), or the name itself when it has none.
    public static func baseDomain(of name: String) -> String {
        PublicSuffixList.shared.registrableDomain(of: name) ?? name
    }

    /// Addresses at the base domain first, then at the name itself (without a wildcard label).
    public static func addresses(for name: String) -> [String] {
        let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        var seen: Set<String> = []
        return ([baseDomain(of: bare), bare].flatMap { domain in localParts.map { "\($0)@\(domain)" } })
            .filter { seen.insert($0).inserted }
    }

    /// The domain an approver address validates, if it is one of the constructed addresses of `name`.
    public static func validatedDomain(by address: String, for name: String) -> String? {
        let lowered = address.lowercased()
        guard addresses(for: name).contains(lowered), let at = lowered.firstIndex(of: "@") else { return nil }
        return String(lowered[lowered.index(after: at)...])
    }
}

/// Sectigo's DCV values, as the reseller dialect shows them (reseller.md 7): hashes of the CSR's
/// DER, a CNAME `_<md5>` → `<sha256 split>[.<unique value>].<brand>`, and a file
/// `/.well-known/pki-validation/<MD5>.txt` holding `<sha256>\n<brand>[\n<unique value>]`.
public struct SectigoDCVValues: Sendable, Equatable {
    public let md5: String
    public let sha256: String
    public let uniqueValue: String?
    public let brand: String

    public init(csrDER: [UInt8], uniqueValue: String?, brand: String = "comodoca.com") {
        md5 = Hex.lowercase(Insecure.MD5.hash(data: csrDER))
        sha256 = Hex.lowercase(SHA256.hash(data: csrDER))
        self.uniqueValue = uniqueValue
        self.brand = brand
    }

    public var dnsHostname: String { "_" + md5 }
    public var dnsValue: String {
        let split = "\(sha256.prefix(32)).\(sha256.dropFirst(32))"
        return [split, uniqueValue, brand].compactMap { $0 }.joined(separator: ".")
    }
    public var fileName: String { md5.uppercased() + ".txt" }
    public var filePath: String { ".well-known/pki-validation/" }
    public var fileContent: String { [sha256, brand, uniqueValue].compactMap { $0 }.joined(separator: "\n") }
}
