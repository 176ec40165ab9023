import Foundation

/// The rules an order must satisfy before anything is stored or charged.
///
/// Pure: the same submission, product and instant always give the same plan or the same error.
/// CSR checks belong to the CA (`SignetPKI`); organization and container lookups to the workflow.
public enum OrderRules {
    public static func plan(
        _ submission: OrderSubmission, now: Date, policy: ValidityPolicy = .cabForum, names namePolicy: NamePolicy = .public
    ) throws(OrderRuleError) -> OrderPlan {
        guard let product = ProductCatalog.product(nameID: submission.productNameID) else {
            throw .unknownProduct(submission.productNameID)
        }
        let names = try checkedNames(submission, product: product, policy: namePolicy)
        guard submission.csrAtFinalize || submission.csr?.trimmingWhitespace().isEmpty == false else {
            throw product.isTLS ? .missingField("certificate.csr") : .csrRequired
        }
        let hash = try checkedHash(submission.signatureHash, product: product)
        let profile = try checkedProfile(submission.profileOption, product: product)
        if let method = submission.options.paymentMethod, method != "balance" {
            throw .unsupportedPaymentMethod(method)
        }
        if let count = submission.options.autoRenew, count < 0 {
            throw .invalidValue(field: "auto_renew", reason: "the number of automatic renewals cannot be negative")
        }
        try checkedDCVMethods(submission, names: names, product: product)
        if submission.organization == nil && product.validationLevel.needsOrganization {
            throw .missingField("organization")
        }
        let units = submission.organizationUnits.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        for unit in units { try SubjectText.check(unit, field: "certificate.organization_units") }

        let orderRequest =
            (submission.orderValidity?.isEmpty == false ? submission.orderValidity : nil)
            ?? submission.legacyValidity
        guard let orderRequest, !orderRequest.isEmpty else { throw .missingField("order_validity") }
        let orderEnd = try orderRequest.end(
            from: now, allowedYears: product.allowedValidityYears, maximumDays: product.maximumOrderDays)
        var certificateEnd: Date?
        if let certificateRequest = submission.certificateValidity, !certificateRequest.isEmpty {
            let end = try certificateRequest.end(
                from: now, allowedYears: product.allowedValidityYears, maximumDays: product.maximumOrderDays)
            guard end <= orderEnd else { throw .certificateValidityExceedsOrder }
            certificateEnd = end
        }
        let years = billedYears(from: now, to: orderEnd)
        return OrderPlan(
            product: product, names: names, signatureHash: hash, profileOption: profile,
            organizationUnits: units, orderValidFrom: now, orderValidTill: orderEnd,
            certificateValidTill: certificateEnd, billedYears: years,
            price: product.price(nameCount: names.subjectAlternativeNames(isTLS: product.isTLS).count, years: years))
    }

    /// The DCV methods an order asks for: HTTP cannot validate a wildcard (BR 3.2.2.4.18), and an
    /// order that validates itself (``DCVScope/order``) uses one method for every name (file
    /// validation over http or https counts as one).
    public static func checkedDCVMethods(
        _ submission: OrderSubmission, names: CertificateNames, product: Product
    ) throws(OrderRuleError) {
        let dnsNames = names.subjectAlternativeNames(isTLS: product.isTLS)
        if submission.options.dcvMethod == DCVMethod.httpToken.rawValue,
            let wildcard = dnsNames.first(where: { $0.hasPrefix("*.") })
        {
            throw .dcvMethodNotAllowed(name: wildcard, method: DCVMethod.httpToken.rawValue)
        }
        guard DCVScope(product: product, origin: submission.origin) == .order, !submission.dcvMethodsByName.isEmpty else {
            return
        }
        let orderMethod = submission.options.dcvMethod ?? DCVMethod.email.rawValue
        let methods = Set(
            dnsNames.map { name in
                let method = submission.dcvMethodsByName[name] ?? orderMethod
                return method == "https" ? "http" : method
            })
        if methods.count > 1 { throw .dcvMethodsMixed(methods.sorted()) }
    }

    /// Checks the certificate part of a reissue or duplicate: names, hash and the presence of a CSR.
    public static func checkedCertificate(
        _ submission: OrderSubmission, product: Product, names namePolicy: NamePolicy = .public
    ) throws(OrderRuleError)
        -> (names: CertificateNames, hash: SignatureHash)
    {
        let names = try checkedNames(submission, product: product, policy: namePolicy)
        let hash = try checkedHash(submission.signatureHash, product: product)
        try checkedDCVMethods(submission, names: names, product: product)
        guard submission.csr?.trimmingWhitespace().isEmpty == false else {
            throw product.isTLS ? .missingField("certificate.csr") : .csrRequired
        }
        return (names, hash)
    }

    /// Whole years started between two instants (a 13-month order bills two years). Two days of
    /// slack keep calendar years (365 or 366 days, plus the end-of-day of custom dates) whole.
    static func billedYears(from start: Date, to end: Date) -> Int {
        let days = end.timeIntervalSince(start) / 86_400
        return max(1, Int(((days - 2) / 365.25).rounded(.up)))
    }

    static func checkedHash(_ raw: String?, product: Product) throws(OrderRuleError) -> SignatureHash {
        guard let raw, !raw.trimmingWhitespace().isEmpty else { throw .missingField("certificate.signature_hash") }
        guard let hash = SignatureHash(rawValue: raw.trimmingWhitespace().lowercased()),
            product.allowedHashes.contains(hash)
        else { throw .unsupportedSignatureHash(raw, allowed: product.allowedHashes) }
        return hash
    }

    static func checkedProfile(_ raw: String?, product: Product) throws(OrderRuleError) -> TLSProfileOption? {
        guard let raw, !raw.isEmpty else { return product.isTLS ? .serverAuthOnly : nil }
        guard product.isTLS, let option = TLSProfileOption(rawValue: raw) else { throw .unknownProfileOption(raw) }
        return option
    }

    /// Checks and normalizes the names of an order or a reissue against a product.
    public static func checkedNames(
        _ submission: OrderSubmission, product: Product, policy: NamePolicy = .public
    ) throws(OrderRuleError) -> CertificateNames {
        let rawCommonName = submission.commonName?.trimmingWhitespace() ?? ""
        // A mailbox-validated certificate's common name is its e-mail address: it may be left out.
        let mailboxValidated = product.isSMIME && product.validationLevel == .dv
        guard !rawCommonName.isEmpty || mailboxValidated else { throw .missingField("certificate.common_name") }
        switch product.kind {
        case .tls:
            return try checkedTLSNames(
                commonName: rawCommonName, dnsNames: submission.dnsNames, product: product, policy: policy)
        case .client:
            return try checkedClientNames(commonName: rawCommonName, submission: submission, product: product, policy: policy)
        }
    }

    /// A name of a TLS certificate: a DNS name, or in a private container an IP address (never for
    /// EV, whose Guidelines allow neither internal names nor addresses).
    private static func tlsName(_ raw: String, product: Product, policy: NamePolicy) throws(OrderRuleError) -> DNSName {
        let policy = product.validationLevel == .ev ? .public : policy
        if policy.isPrivate, let address = IPAddress(identifier: raw.trimmingWhitespace().lowercased()) {
            if let problem = address.identifierProblem {
                throw .invalidValue(
                    field: "certificate.dns_names",
                    reason: "'\(raw)' is \(problem): a certificate names hosts a network routes to")
            }
            return DNSName(checked: address.description)
        }
        let name: DNSName
        do {
            name = try DNSName(raw, policy: policy)
        } catch .ipAddress {
            guard policy.isPrivate else { throw .ipAddressNotAllowed(raw) }
            throw .invalidValue(
                field: "certificate.dns_names",
                reason:
                    "'\(raw)' is neither a DNS name nor an IP address as Signet reads one (a dotted quad of decimal octets, or IPv6 text without brackets; an IPv4 address named as itself)"
            )
        } catch {
            throw .invalidDNSName(raw, error)
        }
        if name.isWildcard && !product.wildcardAllowed { throw .wildcardNotAllowed(name.value) }
        return name
    }

    private static func checkedTLSNames(
        commonName raw: String, dnsNames: [String], product: Product, policy: NamePolicy
    ) throws(OrderRuleError)
        -> CertificateNames
    {
        let commonName = try tlsName(raw, product: product, policy: policy)
        guard commonName.value.utf8.count <= 64 else {
            throw .invalidValue(field: "certificate.common_name", reason: "a common name holds at most 64 characters")
        }
        if product.wildcardOnly && !commonName.isWildcard {
            throw .invalidValue(field: "certificate.common_name", reason: "\(product.nameID) needs a wildcard common name")
        }
        var seen: Set<String> = []
        var extra: [String] = []
        for raw in dnsNames {
            let name = try tlsName(raw, product: product, policy: policy)
            guard seen.insert(name.value).inserted else { continue }
            extra.append(name.value)
            if name == commonName { continue }
            if !product.additionalNamesAllowed && !isWWWTwin(name.value, of: commonName.value) {
                throw .additionalNamesNotAllowed(name.value)
            }
            if product.wildcardOnly && !name.isCovered(byValidatedDomain: commonName.baseName) {
                throw .additionalNamesNotAllowed(name.value)
            }
        }
        let names = CertificateNames(commonName: commonName.value, dnsNames: extra, emails: [])
        let limit = product.maximumNames
        guard names.subjectAlternativeNames(isTLS: true).count <= limit else { throw .tooManyNames(limit: limit) }
        return names
    }

    /// `www.example.com` and `example.com` count as one name on single-name products.
    private static func isWWWTwin(_ name: String, of commonName: String) -> Bool {
        name == "www." + commonName || commonName == "www." + name
    }

    private static func checkedClientNames(
        commonName raw: String, submission: OrderSubmission, product: Product, policy: NamePolicy
    )
        throws(OrderRuleError) -> CertificateNames
    {
        guard submission.dnsNames.isEmpty else {
            throw .invalidValue(
                field: "certificate.dns_names", reason: "client certificates carry e-mail addresses, not DNS names")
        }
        guard !submission.emails.isEmpty else { throw .missingField("certificate.emails") }
        var seen: Set<String> = []
        var emails: [String] = []
        for raw in submission.emails {
            guard let email = EmailAddress(raw, policy: policy) else { throw .invalidEmail(raw) }
            if seen.insert(email.value.lowercased()).inserted { emails.append(email.value) }
        }
        guard emails.count <= product.maximumNames else { throw .tooManyNames(limit: product.maximumNames) }
        let person = try checkedPerson(submission)
        let commonName = try clientCommonName(raw, emails: emails, person: person, product: product)
        return CertificateNames(commonName: commonName, dnsNames: [], emails: emails, person: person)
    }

    /// The common name of a client certificate. An S/MIME subject may name only a mailbox of the
    /// certificate or the person whose given name and surname it carries (S/MIME BR 7.1.4.2.2(a)),
    /// so a personal name that comes without them (seed 001 as printed: `"Lock Cole"`), or any name
    /// on a mailbox-validated product, gives way to the first mailbox. A personal name is never
    /// split into given name and surname: which word is which is the subscriber's to say.
    static func clientCommonName(
        _ raw: String, emails: [String], person: PersonName?, product: Product
    ) throws(OrderRuleError) -> String {
        guard !raw.isEmpty else { return emails[0] }
        try SubjectText.check(raw, field: "certificate.common_name")
        guard product.isSMIME else { return raw }
        if emails.contains(where: { $0.caseInsensitiveCompare(raw) == .orderedSame }) { return raw }
        if raw.contains("@") {
            throw .invalidValue(
                field: "certificate.common_name", reason: "'\(raw)' is not one of the certificate's e-mail addresses")
        }
        if product.validationLevel != .dv, let person {
            guard person.displayName == raw else {
                throw .invalidValue(
                    field: "certificate.common_name",
                    reason: "the common name must be the person's name '\(person.displayName)' or one of the e-mail addresses")
            }
            return raw
        }
        return emails[0]
    }

    /// The subscriber's name: `certificate.first_name` and `last_name`, or else an order contact
    /// whose first and last names are exactly the common name. Never split out of a common name.
    static func checkedPerson(_ submission: OrderSubmission) throws(OrderRuleError) -> PersonName? {
        var person = submission.person
        if person == nil, let commonName = submission.commonName?.trimmingWhitespace() {
            person = submission.contacts.compactMap(\.details)
                .map { PersonName(givenName: $0.firstName.trimmingWhitespace(), surname: $0.lastName.trimmingWhitespace()) }
                .first { $0.displayName == commonName }
        }
        guard let person else { return nil }
        guard !person.givenName.isEmpty else { throw .missingField("certificate.first_name") }
        guard !person.surname.isEmpty else { throw .missingField("certificate.last_name") }
        try SubjectText.check(person.givenName, field: "certificate.first_name")
        try SubjectText.check(person.surname, field: "certificate.last_name")
        return person
    }
}
