import Foundation
import SignetCore
import SwiftASN1
import X509

/// Everything that decides the content of one subscriber certificate.
public struct LeafRequest: Sendable {
    public var publicKey: Certificate.PublicKey
    public var key: KeyDescription
    public var product: Product
    public var names: CertificateNames
    /// The validated organization, for OV and EV subjects.
    public var organization: OrganizationDetails?
    /// Departments; only client certificates carry them (OU is banned from public TLS since 2022).
    public var organizationUnits: [String]
    public var signatureHash: SignatureHash
    public var profileOption: TLSProfileOption?
    public var notBefore: Date
    public var notAfter: Date

    public init(
        publicKey: Certificate.PublicKey, key: KeyDescription, product: Product, names: CertificateNames,
        organization: OrganizationDetails?, organizationUnits: [String], signatureHash: SignatureHash,
        profileOption: TLSProfileOption?, notBefore: Date, notAfter: Date
    ) {
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
/// mailbox-validated without an organization, sponsor-validated with one).
enum LeafProfile {
    private static let businessCategory: ASN1ObjectIdentifier = [2, 5, 4, 15]
    private static let jurisdictionCountry: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 3]
    private static let serialNumber: ASN1ObjectIdentifier = [2, 5, 4, 5]
    private static let organizationIdentifier: ASN1ObjectIdentifier = [2, 5, 4, 97]
    private static let givenName: ASN1ObjectIdentifier = [2, 5, 4, 42]
    private static let surname: ASN1ObjectIdentifier = [2, 5, 4, 4]

    static func subject(for request: LeafRequest) throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        func add(_ oid: ASN1ObjectIdentifier, _ value: String?, printable: Bool = false) throws {
            guard let value, !value.isEmpty else { return }
            let attribute = printable
                ? try RelativeDistinguishedName.Attribute(type: oid, printableString: value)
                : RelativeDistinguishedName.Attribute(type: oid, utf8String: value)
            rdns.append(RelativeDistinguishedName(attribute))
        }
        let level = request.product.validationLevel
        let isSMIME = request.product.clientUsage?.contains(.emailProtection) ?? false
        if isSMIME && level == .dv {
            // Mailbox-validated (S/MIME BR 7.1.4.2.2): the common name is the mailbox itself.
            try add(.RDNAttributeType.commonName, request.names.emails.first)
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
        if isSMIME, let (given, family) = personalName(request.names.commonName) {
            try add(givenName, given)
            try add(surname, family)
        }
        try add(.RDNAttributeType.commonName, request.names.commonName)
        return DistinguishedName(rdns)
    }

    /// "Locke Cole" as given name "Locke" and surname "Cole": S/MIME subjects state where a
    /// personal common name comes from.
    static func personalName(_ name: String) -> (String, String)? {
        guard let space = name.lastIndex(of: " ") else { return nil }
        let given = name[..<space].trimmingCharacters(in: .whitespaces)
        let family = name[name.index(after: space)...].trimmingCharacters(in: .whitespaces)
        return given.isEmpty || family.isEmpty ? nil : (given, family)
    }

    static func extensions(
        for request: LeafRequest, issuerKeyIdentifier: ArraySlice<UInt8>, endpoints: CAEndpoints
    ) throws -> Certificate.Extensions {
        let isRSA = request.key.algorithm == .rsa
        var list: [Certificate.Extension] = [
            try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier), critical: false),
            try Certificate.Extension(SubjectKeyIdentifier(hash: request.publicKey), critical: false),
            try Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
        ]
        let policy: ASN1ObjectIdentifier?
        switch request.product.kind {
        case .tls:
            list.append(try Certificate.Extension(KeyUsage(digitalSignature: true, keyEncipherment: isRSA), critical: true))
            let usages: [ExtendedKeyUsage.Usage] =
                request.profileOption == .serverAndClientAuth ? [.serverAuth, .clientAuth] : [.serverAuth]
            list.append(try Certificate.Extension(ExtendedKeyUsage(usages), critical: false))
            let names = request.names.subjectAlternativeDNSNames(isTLS: true).map { GeneralName.dnsName($0) }
            list.append(try Certificate.Extension(SubjectAlternativeNames(names), critical: false))
            switch request.product.validationLevel {
            case .dv: policy = PolicyOID.domainValidated
            case .ov: policy = PolicyOID.organizationValidated
            case .ev: policy = PolicyOID.extendedValidation
            }
        case .client(let usage):
            let signing = usage.contains(.documentSigning)
            list.append(
                try Certificate.Extension(
                    KeyUsage(digitalSignature: true, nonRepudiation: signing, keyEncipherment: isRSA), critical: true))
            var usages: [ExtendedKeyUsage.Usage] = []
            if usage.contains(.clientAuthentication) { usages.append(.clientAuth) }
            if usage.contains(.emailProtection) { usages.append(.emailProtection) }
            list.append(try Certificate.Extension(ExtendedKeyUsage(usages), critical: false))
            let names = request.names.emails.map { GeneralName.rfc822Name($0) }
            list.append(try Certificate.Extension(SubjectAlternativeNames(names), critical: false))
            if usage.contains(.emailProtection) {
                policy = request.product.validationLevel == .dv
                    ? PolicyOID.mailboxValidatedMultipurpose : PolicyOID.sponsorValidatedMultipurpose
            } else {
                policy = nil
            }
        }
        if let policy { list.append(try PolicyExtensions.certificatePolicies([policy])) }
        list.append(PolicyExtensions.crlDistributionPoint(uri: endpoints.crlURL))
        list.append(
            try Certificate.Extension(
                AuthorityInformationAccess([
                    .init(method: .ocspServer, location: .uniformResourceIdentifier(endpoints.ocspURL)),
                    .init(method: .issuingCA, location: .uniformResourceIdentifier(endpoints.caIssuersURL)),
                ]), critical: false))
        return try Certificate.Extensions(list)
    }
}

/// Where relying parties fetch revocation data and the issuer certificate.
public struct CAEndpoints: Sendable, Equatable {
    public let crlURL: String
    public let ocspURL: String
    public let caIssuersURL: String

    /// The URLs under `publicURL` for the issuing CA `issuerID`.
    public init(publicURL: String, issuerID: String) {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        crlURL = "\(base)/crl/\(issuerID).crl"
        ocspURL = "\(base)/ocsp"
        caIssuersURL = "\(base)/ca/\(issuerID).crt"
    }
}
