import Foundation
import SignetCore
import SwiftASN1
import X509

/// Who the CA is, as its certificates' subjects name it.
public struct CAIdentity: Sendable, Equatable {
    /// ISO 3166-1 alpha-2.
    public var country: String
    public var organization: String

    public init(country: String = "US", organization: String = "Signet") {
        self.country = country
        self.organization = organization
    }
}

/// The CA certificate profiles: the root (BR 7.1.2.1) and the issuing CAs, one per family, each
/// constrained by extended key usage (BR 7.1.2.10; S/MIME BR 7.1.2.2) and pointing at the root's
/// CRL and certificate, so that relying parties can check its revocation.
enum CAProfile {
    static func root(key: Certificate.PublicKey, identity: CAIdentity, tag: String, now: Date) throws -> ToBeSignedCertificate {
        let name = try DistinguishedName {
            CountryName(identity.country)
            OrganizationName(identity.organization)
            CommonName("\(identity.organization) Root CA \(tag)")
        }
        let now = startOfSecond(now)
        return try root(key: key, subject: name, notBefore: now, notAfter: now.addingTimeInterval(20 * 365.25 * 86_400))
    }

    /// A root named `subject`, valid from `notBefore` to `notAfter` (a ceremony's root).
    static func root(
        key: Certificate.PublicKey, subject name: DistinguishedName, notBefore: Date, notAfter: Date
    ) throws -> ToBeSignedCertificate {
        ToBeSignedCertificate(
            profile: .root, serialNumber: .random(), publicKey: key, notBefore: startOfSecond(notBefore),
            notAfter: startOfSecond(notAfter), issuer: name, subject: name,
            signatureAlgorithm: KeyFamily(key).algorithm(for: KeyFamily(key).naturalHash),
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                // BR 7.1.2.1.3: a root's authorityKeyIdentifier is its own key identifier.
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: key).keyIdentifier)
                SubjectKeyIdentifier(hash: key)
            })
    }

    /// An issuing CA for `family` under `root`, whose CRL and certificate are at `endpoints`.
    static func issuing(
        family: CertificateFamily, key: Certificate.PublicKey, root: CACertificate, identity: CAIdentity, tag: String,
        endpoints: PKIEndpoints, now: Date
    ) throws -> ToBeSignedCertificate {
        let suffix = KeyFamily(key) == .rsa ? "R1" : "E1"
        let label = family == .tls ? "TLS" : "S/MIME"
        let name = try DistinguishedName {
            CountryName(identity.country)
            OrganizationName(identity.organization)
            CommonName("\(identity.organization) \(label) Issuing CA \(suffix) \(tag)")
        }
        let now = startOfSecond(now)
        return try issuing(
            family: family, key: key, root: root, subject: name, endpoints: endpoints, notBefore: now,
            notAfter: now.addingTimeInterval(10 * 365.25 * 86_400), rootAnswersOCSP: true)
    }

    /// An issuing CA named `subject`. Under a root kept offline (a ceremony's), nothing answers OCSP
    /// for the root (`rootAnswersOCSP` false): the certificate points at the root's CRL alone, as
    /// BR 7.1.2.10.3 allows for CA certificates.
    static func issuing(
        family: CertificateFamily, key: Certificate.PublicKey, root: CACertificate, subject name: DistinguishedName,
        endpoints: PKIEndpoints, notBefore: Date, notAfter: Date, rootAnswersOCSP: Bool
    ) throws -> ToBeSignedCertificate {
        let usages: [ExtendedKeyUsage.Usage] = family == .tls ? [.serverAuth, .clientAuth] : [.emailProtection, .clientAuth]
        // BR 7.1.2.10.5: a CA that is the root's affiliate may assert anyPolicy, which lets every
        // reserved policy of its leaves (DV, OV, EV) pass `openssl verify -explicit_policy`; pkilint
        // refuses several reserved OIDs in one TLS CA. The S/MIME CA names the certificate types it issues.
        let policies: [ASN1ObjectIdentifier] =
            family == .tls ? [PolicyOID.anyPolicy] : SMIMEValidationType.allCases.map { PolicyOID.smime($0) }
        let extensions = try Certificate.Extensions([
            try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: 0), critical: true),
            try Certificate.Extension(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true), critical: true),
            try Certificate.Extension(ExtendedKeyUsage(usages), critical: false),
            try PolicyExtensions.certificatePolicies(policies),
            PolicyExtensions.crlDistributionPoint(uri: endpoints.crlURL(of: root.id)),
            try Certificate.Extension(
                AuthorityInformationAccess(
                    (rootAnswersOCSP ? [.init(method: .ocspServer, location: .uniformResourceIdentifier(endpoints.ocspURL))] : [])
                        + [.init(method: .issuingCA, location: .uniformResourceIdentifier(endpoints.issuerURL(of: root.id)))]),
                critical: false),
            try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: root.keyIdentifier), critical: false),
            try Certificate.Extension(SubjectKeyIdentifier(hash: key), critical: false),
        ])
        return ToBeSignedCertificate(
            profile: .issuingCA([family]), serialNumber: .random(), publicKey: key, notBefore: startOfSecond(notBefore),
            notAfter: startOfSecond(notAfter), issuer: root.subject, subject: name,
            signatureAlgorithm: root.keyFamily.algorithm(for: root.keyFamily.naturalHash), extensions: extensions)
    }

    /// `date` without its fraction of a second. Certificate times are whole seconds; a fraction
    /// rounded up would put notBefore in the future, and a CA made a moment ago would not verify.
    static func startOfSecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
