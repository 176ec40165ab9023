import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509
import _CryptoExtras

/// The checks of one to-be-signed certificate. Subscriber findings that the request's values cause
/// name the request field to change; everything else is the authority's.
struct CertificateLint {
    let tbs: ToBeSignedCertificate
    let issuer: CACertificate?
    let now: Date
    let policy: ValidityPolicy
    var findings: [LintFinding] = []

    init(tbs: ToBeSignedCertificate, issuer: CACertificate?, now: Date, policy: ValidityPolicy) {
        self.tbs = tbs
        self.issuer = issuer
        self.now = now
        self.policy = policy
    }

    var product: Product? {
        if case .subscriber(let product, _) = tbs.profile { return product }
        return nil
    }

    var namePolicy: NamePolicy {
        if case .subscriber(_, let policy) = tbs.profile { return policy }
        return .public
    }

    /// Records a finding: the request's (naming `field`) for subscriber certificates, else the authority's.
    mutating func fail(_ rule: String, _ message: String, field: String? = nil, requestCaused: Bool = false) {
        let cause: LintFinding.Cause = requestCaused && product != nil ? .request(field: field) : .authority
        findings.append(LintFinding(rule: rule, message: message, cause: cause))
    }

    mutating func run() {
        checkSerialAndValidity()
        checkSignature()
        checkSubjectText()
        switch tbs.profile {
        case .root: checkCA(isRoot: true, families: [])
        case .issuingCA(let families): checkCA(isRoot: false, families: families)
        case .subscriber(let product, _):
            checkSubscriberCommon(product)
            if product.isTLS { checkTLS(product) } else { checkClient(product) }
        }
    }

    // MARK: every certificate

    mutating func checkSerialAndValidity() {
        let serial = tbs.serialNumber.bytes
        if serial.isEmpty || serial.count > 20 || serial[0] & 0x80 != 0
            || (serial.count > 1 && serial[0] == 0 && serial[1] & 0x80 == 0)
        {
            fail("RFC 5280 4.1.2.2", "the serial number must be a positive integer of at most 20 octets, minimally encoded")
        }
        if serial.count < 9 { fail("BR 7.1", "the serial number must carry at least 64 bits from a CSPRNG") }
        if tbs.notBefore >= tbs.notAfter { fail("RFC 5280 4.1.2.5", "notBefore must come before notAfter") }
        if let issuer, tbs.notAfter > issuer.certificate.notValidAfter {
            fail("RFC 5280 6.1.3", "the certificate would outlive its issuing CA (\(issuer.commonName))")
        }
    }

    mutating func checkSignature() {
        if let issuer {
            if tbs.issuer != issuer.subject { fail("RFC 5280 4.1.2.4", "the issuer name must be the signing CA's subject") }
            let family = issuer.keyFamily
            let allowed: [Certificate.SignatureAlgorithm] =
                family == .rsa
                ? [.sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption]
                : [family == .p256 ? .ecdsaWithSHA256 : .ecdsaWithSHA384]
            if !allowed.contains(tbs.signatureAlgorithm) {
                fail("BR 7.1.3.2", "\(tbs.signatureAlgorithm) is not a signature algorithm the issuing key may use")
            }
        }
        switch KeyFamily(tbs.publicKey) {
        case .p256, .p384:
            break
        case .rsa:
            guard let rsa = _RSA.Signing.PublicKey(tbs.publicKey) else {
                fail(
                    "BR 6.1.5", "the public key is neither RSA nor ECDSA P-256/P-384", field: "certificate.csr",
                    requestCaused: true)
                return
            }
            let bits = rsa.keySizeInBits
            if bits < 2048 || bits > 8192 || bits % 8 != 0 {
                fail(
                    "BR 6.1.5", "RSA keys have 2048 to 8192 bits in multiples of 8; this one has \(bits)",
                    field: "certificate.csr", requestCaused: true)
            }
        }
    }

    /// Field names of the request that each subject attribute comes from.
    static let attributeFields: [ASN1ObjectIdentifier: (name: String, field: String, limit: Int)] = [
        .RDNAttributeType.commonName: ("commonName", "certificate.common_name", 64),
        .RDNAttributeType.organizationName: ("organizationName", "organization.name", 64),
        .RDNAttributeType.organizationalUnitName: ("organizationalUnitName", "certificate.organization_units", 64),
        .RDNAttributeType.localityName: ("localityName", "organization.city", 128),
        .RDNAttributeType.stateOrProvinceName: ("stateOrProvinceName", "organization.state", 128),
        .RDNAttributeType.countryName: ("countryName", "organization.country", 2),
        SubjectOID.businessCategory: ("businessCategory", "organization.business_category", 128),
        SubjectOID.serialNumber: ("serialNumber", "organization.registration_number", 64),
        SubjectOID.jurisdictionCountry: ("jurisdictionCountryName", "organization.country", 2),
        SubjectOID.organizationIdentifier: ("organizationIdentifier", "organization.registration_number", 64),
        SubjectOID.givenName: ("givenName", "certificate.first_name", 64),
        SubjectOID.surname: ("surname", "certificate.last_name", 64),
    ]

    /// Subject attributes are known, printable, within X.520's bounds, and country codes are ISO 3166-1.
    mutating func checkSubjectText() {
        for (type, value) in subjectAttributes {
            guard let known = Self.attributeFields[type] else {
                fail("BR 7.1.4.2", "the subject attribute \(type) is not one Signet's profiles use")
                continue
            }
            guard let text = value else {
                fail("RFC 5280 4.1.2.6", "\(known.name) is not a string", field: known.field, requestCaused: true)
                continue
            }
            if text.isEmpty { fail("BR 7.1.4.2", "\(known.name) must not be empty", field: known.field, requestCaused: true) }
            if let problem = SubjectText.problem(text) {
                fail("BR 7.1.4.2", "\(known.name): \(problem)", field: known.field, requestCaused: true)
            }
            if text.count > known.limit {
                fail(
                    "RFC 5280 A.1 (X.520 bounds)", "\(known.name) holds at most \(known.limit) characters", field: known.field,
                    requestCaused: true)
            }
            if type == .RDNAttributeType.countryName || type == SubjectOID.jurisdictionCountry,
                let problem = CountryCode.problem(text)
            {
                fail("BR 7.1.4.2.2(h)", "\(known.name): \(problem)", field: known.field, requestCaused: true)
            }
            if type == SubjectOID.serialNumber, !OrganizationDetails.isPrintableString(text) {
                fail("EVG 9.2.6", "serialNumber must be a PrintableString", field: known.field, requestCaused: true)
            }
        }
    }

    var subjectAttributes: [(ASN1ObjectIdentifier, String?)] {
        tbs.subject.flatMap { rdn in rdn.map { ($0.type, String($0.value)) } }
    }

    func values(_ type: ASN1ObjectIdentifier) -> [String] {
        subjectAttributes.filter { $0.0 == type }.compactMap(\.1)
    }

    // MARK: CA certificates

    mutating func checkCA(isRoot: Bool, families: Set<CertificateFamily>) {
        let rule = isRoot ? "BR 7.1.2.1" : "BR 7.1.2.10"
        for (type, name) in [
            (ASN1ObjectIdentifier.RDNAttributeType.countryName, "countryName"),
            (.RDNAttributeType.organizationName, "organizationName"),
            (.RDNAttributeType.commonName, "commonName"),
        ] where values(type).isEmpty {
            fail("\(rule).4", "a CA certificate's subject must carry \(name)")
        }
        switch try? tbs.extensions.basicConstraints {
        case .isCertificateAuthority(let length)?:
            if !isRoot && length != 0 { fail("\(rule).4", "an issuing CA's basicConstraints must set pathLenConstraint 0") }
        default:
            fail("\(rule).2", "a CA certificate's basicConstraints must say cA TRUE")
        }
        if !isCritical(.X509ExtensionID.basicConstraints) { fail("\(rule).2", "basicConstraints must be critical") }
        if let usage = try? tbs.extensions.keyUsage {
            if !usage.keyCertSign || !usage.cRLSign { fail("\(rule).7", "keyUsage must include keyCertSign and cRLSign") }
            if usage.keyEncipherment || usage.dataEncipherment || usage.keyAgreement || usage.nonRepudiation {
                fail("\(rule).7", "a CA's keyUsage holds only digitalSignature, keyCertSign and cRLSign")
            }
        } else {
            fail("\(rule).7", "keyUsage is required")
        }
        if !isCritical(.X509ExtensionID.keyUsage) { fail("\(rule).7", "keyUsage must be critical") }
        if (try? tbs.extensions.subjectKeyIdentifier) == nil {
            fail("RFC 5280 4.2.1.2", "CA certificates carry a subjectKeyIdentifier")
        }
        let usages = Self.usages(of: tbs.extensions)
        if isRoot {
            if usages != nil { fail("BR 7.1.2.1.2", "a root certificate must not carry extendedKeyUsage") }
            if has(PolicyExtensions.certificatePoliciesOID) {
                fail("BR 7.1.2.1.2", "a root certificate should not carry certificatePolicies")
            }
            return
        }
        if (try? tbs.extensions.authorityKeyIdentifier)??.keyIdentifier != issuer?.keyIdentifier {
            fail("RFC 5280 4.2.1.1", "authorityKeyIdentifier must name the root's key")
        }
        let allowed: Set<ExtendedKeyUsage.Usage>
        let required: ExtendedKeyUsage.Usage
        if families == [.tls] {
            (allowed, required) = ([.serverAuth, .clientAuth], .serverAuth)
        } else {
            (allowed, required) = ([.emailProtection, .clientAuth], .emailProtection)
        }
        if let usages {
            if !usages.contains(required) || !usages.allSatisfy({ allowed.contains($0) }) {
                fail(
                    families == [.tls] ? "BR 7.1.2.10.6" : "S/MIME BR 7.1.2.2(g)",
                    "the issuing CA's extendedKeyUsage must hold \(required) and only \(allowed)")
            }
        } else {
            fail("BR 7.1.2.10.6", "an issuing CA is constrained by extendedKeyUsage")
        }
        if policies.isEmpty { fail("BR 7.1.2.10.5", "an issuing CA carries certificatePolicies") }
        checkRevocationPointers(rule: "BR 7.1.2.10")
    }

    // MARK: subscriber certificates

    mutating func checkSubscriberCommon(_ product: Product) {
        if case .isCertificateAuthority? = try? tbs.extensions.basicConstraints {
            fail("BR 7.1.2.7.8", "a subscriber certificate must not be a CA")
        }
        if (try? tbs.extensions.authorityKeyIdentifier)??.keyIdentifier != issuer?.keyIdentifier {
            fail("RFC 5280 4.2.1.1", "authorityKeyIdentifier must name the issuing CA's key")
        }
        if !isCritical(.X509ExtensionID.keyUsage) { fail("BR 7.1.2.7.11", "keyUsage must be present and critical") }
        checkRevocationPointers(rule: "BR 7.1.2.7")
        let needed: ExtendedKeyUsage.Usage = product.isTLS ? .serverAuth : (product.isSMIME ? .emailProtection : .clientAuth)
        if let issuer, let usages = Self.usages(of: issuer.certificate.extensions), !usages.contains(needed) {
            fail("BR 7.1.2.10.6", "the issuing CA \(issuer.commonName) may not issue \(needed) certificates")
        }
        let days = (tbs.notAfter.timeIntervalSince(tbs.notBefore) + 1) / 86_400
        let maximum = Double(
            product.isTLS ? policy.maximumTLSDays(on: tbs.notBefore) + policy.marginDays : policy.clientMaximumDays)
        if days > maximum {
            fail(
                product.isTLS ? "BR 6.3.2" : "S/MIME BR 6.3.2",
                "the validity period is \(Int(days)) days; at most \(Int(maximum)) are allowed")
        }
        // BR 7.1.2.7: notBefore may be backdated by at most 48 hours, and never lie in the future.
        if tbs.notBefore < now.addingTimeInterval(-48 * 3600) || tbs.notBefore > now.addingTimeInterval(60) {
            fail("BR 7.1.2.7", "notBefore must lie within the 48 hours before signing")
        }
        if product.validationLevel == .ov || product.validationLevel == .ev, product.isTLS || product.isSMIME {
            if values(.RDNAttributeType.organizationName).isEmpty {
                fail(
                    "BR 7.1.2.7.4", "an \(product.validationLevel.rawValue) subject names the organization",
                    field: "organization.name", requestCaused: true)
            }
            if values(.RDNAttributeType.countryName).isEmpty {
                fail(
                    "BR 7.1.4.2.2(h)", "an \(product.validationLevel.rawValue) subject names the country",
                    field: "organization.country", requestCaused: true)
            }
            if product.isTLS, values(.RDNAttributeType.localityName).isEmpty,
                values(.RDNAttributeType.stateOrProvinceName).isEmpty
            {
                fail(
                    "BR 7.1.4.2.2(e)", "an \(product.validationLevel.rawValue) subject names a locality or a state",
                    field: "organization.city", requestCaused: true)
            }
        }
    }

    /// The extended key usages of `extensions`; `nil` when there is no such extension.
    static func usages(of extensions: Certificate.Extensions) -> [ExtendedKeyUsage.Usage]? {
        (try? extensions.extendedKeyUsage).map { Array($0) }
    }

    mutating func checkTLS(_ product: Product) {
        if let usage = try? tbs.extensions.keyUsage {
            let isRSA = KeyFamily(tbs.publicKey) == .rsa
            if !usage.digitalSignature { fail("BR 7.1.2.7.11", "keyUsage must include digitalSignature") }
            if usage.keyEncipherment && !isRSA { fail("BR 7.1.2.7.11", "keyEncipherment is for RSA keys only") }
            if usage.keyCertSign || usage.cRLSign || usage.dataEncipherment || usage.nonRepudiation {
                fail("BR 7.1.2.7.11", "keyUsage holds only digitalSignature and, for RSA, keyEncipherment")
            }
        }
        if let usages = Self.usages(of: tbs.extensions) {
            let allowed: [ExtendedKeyUsage.Usage] = [.serverAuth, .clientAuth]
            if !usages.contains(.serverAuth) || !usages.allSatisfy({ allowed.contains($0) }) {
                fail("BR 7.1.2.7.10", "extendedKeyUsage holds serverAuth and at most clientAuth")
            }
        } else {
            fail("BR 7.1.2.7.10", "extendedKeyUsage is required")
        }
        let names = sanEntries
        let dnsNames = names.compactMap { if case .dnsName(let name) = $0 { return name } else { return nil } }
        // iPAddress entries only where the container's policy is private (docs/private-pki.md).
        let addresses = names.compactMap { entry -> String? in
            guard case .ipAddress(let octets) = entry else { return nil }
            return IPAddress(bytes: Array(octets.bytes)).map(\.description) ?? ""
        }
        let allowed = dnsNames.count + (namePolicy.isPrivate ? addresses.count : 0)
        if names.isEmpty || allowed != names.count {
            fail(
                "BR 7.1.2.7.12",
                namePolicy.isPrivate
                    ? "subjectAltName must list DNS names and IP addresses only, at least one"
                    : "subjectAltName must list DNS names only, at least one", field: "certificate.dns_names",
                requestCaused: true)
        }
        for address in addresses where IPAddress(identifier: address) == nil {
            fail("RFC 5280 4.2.1.6", "an iPAddress entry must hold 4 or 16 octets", field: "certificate.dns_names")
        }
        for name in dnsNames {
            do {
                let parsed = try DNSName(name, policy: namePolicy)
                if parsed.value != name { throw DNSName.Problem.badLabel(name) }
            } catch {
                fail(
                    "BR 7.1.2.7.12", "'\(name)' is not a name this container's certificates may carry: \(error)",
                    field: "certificate.dns_names", requestCaused: true)
            }
        }
        for commonName in values(.RDNAttributeType.commonName)
        where !(dnsNames + addresses).contains(where: { $0.caseInsensitiveCompare(commonName) == .orderedSame }) {
            fail(
                "BR 7.1.4.3", "the common name '\(commonName)' must be one of the subjectAltName names",
                field: "certificate.common_name", requestCaused: true)
        }
        checkTLSSubject(product)
        let reserved: ASN1ObjectIdentifier
        switch product.validationLevel {
        case .dv: reserved = PolicyOID.domainValidated
        case .ov: reserved = PolicyOID.organizationValidated
        case .ev: reserved = PolicyOID.extendedValidation
        }
        if policies != [reserved] {
            fail(
                "BR 7.1.2.7.9", "certificatePolicies must hold exactly the \(product.validationLevel.rawValue) policy \(reserved)"
            )
        }
    }

    mutating func checkTLSSubject(_ product: Product) {
        let present = Set(subjectAttributes.map(\.0))
        let allowed: Set<ASN1ObjectIdentifier>
        switch product.validationLevel {
        case .dv: allowed = [.RDNAttributeType.commonName, .RDNAttributeType.countryName]
        case .ov:
            allowed = [
                .RDNAttributeType.commonName, .RDNAttributeType.countryName, .RDNAttributeType.organizationName,
                .RDNAttributeType.localityName, .RDNAttributeType.stateOrProvinceName,
            ]
        case .ev:
            allowed = [
                .RDNAttributeType.commonName, .RDNAttributeType.countryName, .RDNAttributeType.organizationName,
                .RDNAttributeType.localityName, .RDNAttributeType.stateOrProvinceName, SubjectOID.businessCategory,
                SubjectOID.jurisdictionCountry, SubjectOID.serialNumber,
            ]
            for (type, field, name) in [
                (SubjectOID.businessCategory, "organization.business_category", "businessCategory"),
                (SubjectOID.jurisdictionCountry, "organization.country", "jurisdictionCountryName"),
                (SubjectOID.serialNumber, "organization.registration_number", "serialNumber"),
            ] where values(type).isEmpty {
                fail("EVG 7.1.4.2", "an EV subject carries \(name)", field: field, requestCaused: true)
            }
            for category in values(SubjectOID.businessCategory) where !OrganizationDetails.businessCategories.contains(category) {
                fail(
                    "EVG 9.2.3", "'\(category)' is not a business category the EV Guidelines allow",
                    field: "organization.business_category", requestCaused: true)
            }
        }
        for type in present.subtracting(allowed) {
            let name = Self.attributeFields[type]?.name ?? "\(type)"
            fail(
                "BR 7.1.2.7.\(product.validationLevel == .dv ? 2 : 4)",
                "a \(product.validationLevel.rawValue) subject must not carry \(name)", field: Self.attributeFields[type]?.field,
                requestCaused: true)
        }
    }

    mutating func checkClient(_ product: Product) {
        let isRSA = KeyFamily(tbs.publicKey) == .rsa
        if let usage = try? tbs.extensions.keyUsage {
            if !usage.digitalSignature { fail("S/MIME BR 7.1.2.3(e)", "keyUsage must include digitalSignature") }
            if usage.keyCertSign || usage.cRLSign {
                fail("S/MIME BR 7.1.2.3(e)", "a subscriber key may not sign certificates or CRLs")
            }
            if usage.keyEncipherment && !isRSA { fail("S/MIME BR 7.1.2.3(e)", "keyEncipherment is for RSA keys only") }
            if usage.keyAgreement && isRSA { fail("S/MIME BR 7.1.2.3(e)", "keyAgreement is for EC keys only") }
            if product.isSMIME && !(isRSA ? usage.keyEncipherment : usage.keyAgreement) {
                fail(
                    "S/MIME BR 7.1.2.3(e)",
                    "a multipurpose certificate's key also encrypts (\(isRSA ? "keyEncipherment" : "keyAgreement"))")
            }
        }
        let usages = Self.usages(of: tbs.extensions)
        let wanted: ExtendedKeyUsage.Usage = product.isSMIME ? .emailProtection : .clientAuth
        if usages.map({ !$0.contains(wanted) || $0.contains(.serverAuth) }) ?? true {
            fail("S/MIME BR 7.1.2.3(f)", "extendedKeyUsage must hold \(wanted) and never serverAuth")
        }
        let names = sanEntries
        let emails = names.compactMap { if case .rfc822Name(let email) = $0 { return email } else { return nil } }
        if emails.isEmpty || emails.count != names.count {
            fail(
                "S/MIME BR 7.1.2.3(h)", "subjectAltName must list e-mail addresses only, at least one",
                field: "certificate.emails", requestCaused: true)
        }
        for email in emails where EmailAddress(email, policy: namePolicy) == nil {
            fail("S/MIME BR 7.1.2.3(h)", "'\(email)' is not a mailbox address", field: "certificate.emails", requestCaused: true)
        }
        guard product.isSMIME else { return }
        let commonNames = values(.RDNAttributeType.commonName)
        let given = values(SubjectOID.givenName)
        let surnames = values(SubjectOID.surname)
        for commonName in commonNames {
            let isEmail = emails.contains { $0.caseInsensitiveCompare(commonName) == .orderedSame }
            let isPerson = given.count == 1 && surnames.count == 1 && commonName == "\(given[0]) \(surnames[0])"
            if !isEmail && !(product.validationLevel != .dv && isPerson) {
                fail(
                    "S/MIME BR 7.1.4.2.2(a)",
                    "the common name must be a mailbox of the certificate or the person's given name and surname",
                    field: "certificate.common_name", requestCaused: true)
            }
        }
        if product.validationLevel == .dv {
            let others = Set(subjectAttributes.map(\.0)).subtracting([.RDNAttributeType.commonName])
            if !others.isEmpty {
                fail("S/MIME BR 7.1.4.2.2", "a mailbox-validated subject carries only the mailbox as common name")
            }
        }
        // The certificate type follows from the subject: a person in it makes it sponsor-validated.
        if let type = SMIMEValidationType(product: product, namesPerson: !given.isEmpty || !surnames.isEmpty) {
            let expected = PolicyOID.smime(type)
            if policies != [expected] { fail("S/MIME BR 7.1.6.1", "certificatePolicies must hold exactly \(expected)") }
        }
    }

    // MARK: extension readers

    func isCritical(_ oid: ASN1ObjectIdentifier) -> Bool { tbs.extensions.first { $0.oid == oid }?.critical ?? false }
    func has(_ oid: ASN1ObjectIdentifier) -> Bool { tbs.extensions.contains { $0.oid == oid } }

    var sanEntries: [GeneralName] { ((try? tbs.extensions.subjectAlternativeNames) ?? nil).map { Array($0) } ?? [] }

    var policies: [ASN1ObjectIdentifier] {
        guard let value = tbs.extensions.first(where: { $0.oid == PolicyExtensions.certificatePoliciesOID })?.value,
            let root = try? DER.parse(value), case .constructed(let items) = root.content
        else { return [] }
        return items.compactMap { item in
            guard case .constructed(let fields) = item.content, let first = fields.first(where: { _ in true }) else { return nil }
            return try? ASN1ObjectIdentifier(derEncoded: first)
        }
    }

    /// CRL distribution point and AIA URIs: present and http (BR 7.1.2.11.2, 7.1.2.7.7).
    mutating func checkRevocationPointers(rule: String) {
        let crlURIs =
            tbs.extensions.first { $0.oid == PolicyExtensions.crlDistributionPointsOID }.map { Self.uris(in: Array($0.value)) }
            ?? []
        if crlURIs.isEmpty { fail("BR 7.1.2.11.2", "a CRL distribution point is required") }
        for uri in crlURIs where !uri.lowercased().hasPrefix("http://") {
            fail("BR 7.1.2.11.2", "the CRL distribution point \(uri) must be an http URL")
        }
        guard let access = (try? tbs.extensions.authorityInformationAccess) ?? nil else {
            fail("\(rule).7", "authorityInformationAccess is required")
            return
        }
        for description in access {
            guard case .uniformResourceIdentifier(let uri) = description.location, uri.lowercased().hasPrefix("http://") else {
                fail("\(rule).7", "authorityInformationAccess locations must be http URLs")
                continue
            }
        }
    }

    /// Every URI (`[6] IA5String`) inside a DER value.
    static func uris(in der: [UInt8]) -> [String] {
        guard let root = try? DER.parse(der) else { return [] }
        var found: [String] = []
        func walk(_ node: ASN1Node) {
            switch node.content {
            case .constructed(let children): for child in children { walk(child) }
            case .primitive(let bytes):
                if node.identifier == ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific) {
                    found.append(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        walk(root)
        return found
    }
}

/// Subject attribute types the profiles use beyond swift-certificates' named ones.
enum SubjectOID {
    static let businessCategory: ASN1ObjectIdentifier = [2, 5, 4, 15]
    static let jurisdictionCountry: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 3]
    static let serialNumber: ASN1ObjectIdentifier = [2, 5, 4, 5]
    static let organizationIdentifier: ASN1ObjectIdentifier = [2, 5, 4, 97]
    static let givenName: ASN1ObjectIdentifier = [2, 5, 4, 42]
    static let surname: ASN1ObjectIdentifier = [2, 5, 4, 4]
}
