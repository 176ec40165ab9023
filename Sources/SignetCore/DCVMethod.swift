/// The ways a name's control is shown, named as CertCentral names them. One enum for every
/// front end: ACME's challenge types join it as cases of their own, mapped by the ACME dialect.
public enum DCVMethod: String, Sendable, CaseIterable, Codable {
    case email
    case dnsTXTToken = "dns-txt-token"
    case dnsCNAMEToken = "dns-cname-token"
    case httpToken = "http-token"

    /// Wildcards can be validated only through DNS or e-mail (BR 3.2.2.4.18 validates one FQDN).
    public func allows(wildcard: Bool) -> Bool { !(wildcard && self == .httpToken) }

    /// Whether a success validates the names under the validated domain too.
    public var coversSubdomains: Bool { self != .httpToken }
}
