/// The digest a certificate is signed with, as CertCentral's `signature_hash` names it.
public enum SignatureHash: String, Sendable, Codable, CaseIterable {
    case sha256
    case sha384
    case sha512

    /// The display name CertCentral pairs with the id in product info.
    public var displayName: String {
        switch self {
        case .sha256: return "SHA-256"
        case .sha384: return "SHA-384"
        case .sha512: return "SHA-512"
        }
    }
}
