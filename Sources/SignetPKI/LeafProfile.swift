import Foundation
import SignetCore
import SwiftASN1
import X509

/// Everything that decides the content of one subscriber certificate.
public struct LeafRequest: Sendable, Equatable {
    public var publicKey: Certificate.PublicKey
    public var key: KeyDescription
    public var product: Product
    public var names: CertificateNames
    /// The naming policy the names were accepted under (private names and addresses are linted by it).
    public var namePolicy: NamePolicy
    /// The validated organization, for OV and EV subjects.
    public var organization: OrganizationDetails?
    /// Departments; only client certificates carry them (OU is banned from public TLS since 2022).
    public var organizationUnits: [String]
    public var signatureHash: SignatureHash
    public var profileOption: TLSProfileOption?
    public var notBefore: Date
    public var notAfter: Date
    /// Where the certificate points for its CRL, OCSP and issuer.
    public var endpoints: PKIEndpoints

    public init(
        publicKey: Certificate.PublicKey, key: KeyDescription, product: Product, names: CertificateNames,
        organization: OrganizationDetails?, organizationUnits: [String], signatureHash: SignatureHash,
        profileOption: TLSProfileOption?, notBefore: Date, notAfter: Date, endpoints: PKIEndpoints,
        namePolicy: NamePolicy = .public
    ) {
        self.endpoints = endpoints
        self.namePolicy = namePolicy
        self.publicKey = publicKey
        self.key = key
        self.product = product
        self.names = names
        self.organization = organization
        self.organizationUnits = organizationUnits
        self.signatureHash = signatureHash
        self.profileOption = profileOption
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

/// The subscriber certificate profiles: TLS server per validation level (Baseline Requirements
/// 7.1.2.7) and client certificates per product usage (S/MIME BR multipurpose profiles:
/// mailbox-validated without an organization, sponsor-validated with a person in it, and
/// organization-validated with an organization and no person).
enum LeafProfile {
    private static let businessCategory = SubjectOID.businessCategory
    private static let jurisdictionCountry = SubjectOID.jurisdictionCountry
    private static let serialNumber = SubjectOID.serialNumber
    private static let organizationIdentifier = SubjectOID.organizationIdentifier
    private static let givenName = SubjectOID.givenName
    private static let surname = SubjectOID.surname

    static func subject(for request: LeafRequest) throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        func add(_ oid: ASN1ObjectIdentifier, _ value: String?, printable: Bool = false) throws {
            guard let value, !value.isEmpty else { return }
            let attribute =
                printable
                ? try RelativeDistinguishedName.Attribute(type: oid, printableString: value)
                : RelativeDistinguishedName.Attribute(type: oid, utf8String: value)
            rdns.append(RelativeDistinguishedName(attribute))
        }
        let level = request.product.validationLevel
        let isSMIME = request.product.isSMIME
        if isSMIME && level == .dv {
            // Mailbox-validated (S/MIME BR 7.1.4.2.2(a)): the common name is one of the mailboxes (OrderRules checked it).
            try add(.RDNAttributeType.commonName, request.names.commonName)
            return DistinguishedName(rdns)
        }
        if level != .dv, let organization = request.organization {
            if level == .ev {
                try add(businessCategory, organization.businessCategory ?? "Private Organization")
                try add(jurisdictionCountry, organization.country, printable: true)
                try add(serialNumber, organization.registrationNumber, printable: true)
            }
            try add(.RDNAttributeType.countryName, organization.country, printable: true)
            try add(.RDNAttributeType.stateOrProvinceName, organization.state)
            try add(.RDNAttributeType.localityName, organization.city)
            try add(.RDNAttributeType.organizationName, organization.name)
            if isSMIME {
                // Sponsor-validated: the organization's registration as "NTR" + country + "-" + number.
                try add(organizationIdentifier, organization.registrationNumber.map { "NTR\(organization.country)-\($0)" })
            }
            if !request.product.isTLS {
                for unit in request.organizationUnits { try add(.RDNAttributeType.organizationalUnitName, unit) }
            }
        }
        if !request.product.isTLS, let person = request.names.person {
            // The person's own given name and surname, from explicit fields, never split out of a common name.
            try add(givenName, person.givenName)
            try add(surname, person.surname)
        }
        try add(.RDNAttributeType.commonName, request.names.commonName)
        return DistinguishedName(rdns)
    }

    static func extensions(
        for request: LeafRequest, issuer: CACertificate, endpoints: PKIEndpoints
    ) throws
        -> Certificate.Extensions
    {
        let isRSA = request.key.algorithm == .rsa
        var list: [Certificate.Extension] = [
            try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuer.keyIdentifier), critical: false),
            try Certificate.Extension(SubjectKeyIdentifier(hash: request.publicKey), critical: false),
            try Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
        ]
        let policy: ASN1ObjectIdentifier?
        switch request.product.kind {
        case .tls:
            // digitalSignature only, for RSA keys too: TLS 1.3 and ECDHE suites sign; RSA key transport
            // (keyEncipherment) is obsolete, and pkilint warns of a key allowed both.
            list.append(try Certificate.Extension(KeyUsage(digitalSignature: true), critical: true))
            let usages: [ExtendedKeyUsage.Usage] =
                request.profileOption == .serverAndClientAuth ? [.serverAuth, .clientAuth] : [.serverAuth]
            list.append(try Certificate.Extension(ExtendedKeyUsage(usages), critical: false))
            // Addresses (private containers only) as iPAddress, never as dNSName.
            let names = request.names.subjectAlternativeNames(isTLS: true).map { name in
                IPAddress(identifier: name).map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0.bytes))) }
                    ?? GeneralName.dnsName(name)
            }
            list.append(try Certificate.Extension(SubjectAlternativeNames(names), critical: false))
            switch request.product.validationLevel {
            case .dv: policy = PolicyOID.domainValidated
            case .ov: policy = PolicyOID.organizationValidated
            case .ev: policy = PolicyOID.extendedValidation
            }
        case .client(let usage):
            // S/MIME BR 7.1.2.3(e), multipurpose: RSA keys also encrypt by key transport, EC keys by key agreement.
            let signing = usage.contains(.documentSigning)
            let encrypts = usage.contains(.emailProtection)
            list.append(
                try Certificate.Extension(
                    KeyUsage(
                        digitalSignature: true, nonRepudiation: signing, keyEncipherment: encrypts && isRSA,
                        keyAgreement: encrypts && !isRSA), critical: true))
            var usages: [ExtendedKeyUsage.Usage] = []
            if usage.contains(.clientAuthentication) { usages.append(.clientAuth) }
            if usage.contains(.emailProtection) { usages.append(.emailProtection) }
            list.append(try Certificate.Extension(ExtendedKeyUsage(usages), critical: false))
            let names = request.names.emails.map { GeneralName.rfc822Name($0) }
            list.append(try Certificate.Extension(SubjectAlternativeNames(names), critical: false))
            let type = SMIMEValidationType(product: request.product, namesPerson: request.names.person != nil)
            policy = type.map { PolicyOID.smime($0) }
        }
        if let policy { list.append(try PolicyExtensions.certificatePolicies([policy])) }
        // A short-lived TLS certificate needs no OCSP (BR 7.1.2.7.7): it ends before an OCSP answer
        // would. It keeps its CRL pointer, which the BR allow and Microsoft's root program requires
        // of every end-entity certificate (pkilint's msft.end_entity.revocation_information_absent).
        let shortLived = request.product.isTLS && isShortLived(request.notBefore, request.notAfter)
        list.append(PolicyExtensions.crlDistributionPoint(uri: endpoints.crlURL(of: issuer.id)))
        var access: [AuthorityInformationAccess.AccessDescription] = [
            .init(method: .issuingCA, location: .uniformResourceIdentifier(endpoints.issuerURL(of: issuer.id)))
        ]
        if !shortLived {
            access.insert(.init(method: .ocspServer, location: .uniformResourceIdentifier(endpoints.ocspURL)), at: 0)
        }
        list.append(try Certificate.Extension(AuthorityInformationAccess(access), critical: false))
        return try Certificate.Extensions(list)
    }

    /// A Short-lived Subscriber Certificate (BR 1.6.1, from 2026-03-15): valid seven days or less,
    /// counted as pkilint and the BR count (notAfter − notBefore + 1 s).
    static func isShortLived(_ notBefore: Date, _ notAfter: Date) -> Bool {
        notAfter.timeIntervalSince(notBefore) + 1 <= 7 * 86_400
    }
}
