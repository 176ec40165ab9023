/// The ways a name's control is shown, named as CertCentral names them. One enum for every
/// front end: ACME's challenge types join it as cases of their own, mapped by the ACME dialect.
public enum DCVMethod: String, Sendable, CaseIterable, Codable {
    case email
    case dnsTXTToken = "dns-txt-token"
    case dnsCNAMEToken = "dns-cname-token"
    case httpToken = "http-token"
    /// ACME's challenges (RFC 8555 8.3, 8.4; RFC 8737), answered with a key authorization.
    case http01 = "http-01"
    case dns01 = "dns-01"
    case tlsALPN01 = "tls-alpn-01"
    /// draft-ietf-acme-dns-account-label: dns-01 at a label of the account (`_<label>._acme-challenge`).
    case dnsAccount01 = "dns-account-01"
    /// draft-ietf-acme-dns-persist (CA/B 3.2.2.4.22): a lasting TXT record naming the CA and the account.
    case dnsPersist01 = "dns-persist-01"

    /// Wildcards can be validated only through DNS or e-mail (BR 3.2.2.4.18 validates one FQDN;
    /// RFC 8555 8.3 and RFC 8737 validate one name).
    public func allows(wildcard: Bool) -> Bool { !(wildcard && [.httpToken, .http01, .tlsALPN01].contains(self)) }

    /// Whether a success validates the names under the validated domain too: the DNS methods
    /// change the domain's zone (BR 3.2.2.4.7); HTTP and TLS show control of one name.
    public var coversSubdomains: Bool { [.email, .dnsTXTToken, .dnsCNAMEToken, .dns01, .dnsAccount01].contains(self) }

    /// ACME's challenge types, which only the ACME front end asks for and answers.
    public var isACMEChallenge: Bool { [.http01, .dns01, .tlsALPN01, .dnsAccount01, .dnsPersist01].contains(self) }

    /// Whether Signet checks the method on its own schedule (the background pass): the token
    /// methods. E-mail waits for a click, ACME challenges for the client to say it is ready.
    public static func isCheckedInBackground(_ method: String) -> Bool {
        guard let parsed = DCVMethod(rawValue: method) else { return !["email", "preauthorized"].contains(method) }
        return parsed != .email && !parsed.isACMEChallenge
    }
}
