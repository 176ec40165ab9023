import SignetCore
import SignetHTTP
import SignetRA

/// Reads CertCentral order bodies (seeds 001 and 003, certcentral.md 3.2) into core commands.
/// Every field of the seeds is accepted; unknown fields are ignored, as real clients send extras.
enum OrderRequestDecoding {
    static let dcvMethods: Set<String> = ["email", "dns-txt-token", "dns-cname-token", "http-token"]

    static func submission(productNameID: String, body: JSONFields) throws(OrderRuleError) -> OrderSubmission {
        var submission = OrderSubmission(productNameID: productNameID)
        guard let certificate = try body.object("certificate") else { throw .missingField("certificate") }
        submission.commonName = try certificate.string("common_name")
        submission.person = try person(certificate)
        submission.dnsNames = try certificate.strings("dns_names") ?? []
        submission.emails = try certificate.strings("emails") ?? []
        submission.csr = try certificate.string("csr")
        submission.signatureHash = try certificate.string("signature_hash")
        submission.organizationUnits = try certificate.strings("organization_units") ?? []
        submission.serverPlatformID = try certificate.object("server_platform")?.int("id")
        submission.profileOption = try certificate.string("profile_option")
        submission.certificateValidity = try validity(certificate.object("cert_validity"))
        submission.orderValidity = try validity(body.object("order_validity"))
        submission.legacyValidity = ValidityRequest(
            years: try body.int("validity_years"), days: try body.int("validity_days"),
            customExpirationDate: try body.string("custom_expiration_date"), fieldPrefix: "")
        if let container = try body.object("container") {
            guard let id = try container.int("id") else { throw .missingField("container.id") }
            submission.containerID = id
        }
        if let organization = try body.object("organization") {
            (submission.organization, submission.contacts) = try self.organization(organization)
        }
        submission.skipApproval = try body.bool("skip_approval") ?? false
        if let key = try body.string("alternative_order_id")?.trimmingWhitespace(), !key.isEmpty {
            guard key.count <= 255 else {
                throw .invalidValue(field: "alternative_order_id", reason: "at most 255 characters")
            }
            submission.alternativeOrderID = key
        }
        submission.options = try options(body)
        submission.options.skipApproval = submission.skipApproval
        return submission
    }

    /// `certificate.first_name` and `last_name`: the subscriber of a client certificate, both or neither.
    static func person(_ certificate: JSONFields) throws(OrderRuleError) -> PersonName? {
        let first = try certificate.string("first_name")?.trimmingWhitespace()
        let last = try certificate.string("last_name")?.trimmingWhitespace()
        switch (first, last) {
        case (nil, nil): return nil
        case (let first?, let last?): return PersonName(givenName: first, surname: last)
        case (nil, _): throw .missingField(certificate.path + "first_name")
        case (_, nil): throw .missingField(certificate.path + "last_name")
        }
    }

    static func validity(_ object: JSONFields?) throws(OrderRuleError) -> ValidityRequest? {
        guard let object else { return nil }
        return ValidityRequest(
            years: try object.int("years"), days: try object.int("days"),
            customExpirationDate: try object.string("custom_expiration_date"), fieldPrefix: object.path)
    }

    private static func options(_ body: JSONFields) throws(OrderRuleError) -> OrderOptions {
        var options = OrderOptions()
        options.comments = try body.string("comments")
        options.autoRenew = try body.int("auto_renew")
        options.customRenewalMessage = try body.string("custom_renewal_message")
        options.disableRenewalNotifications = try body.bool("disable_renewal_notifications")
        options.additionalEmails = try body.strings("additional_emails")
        for email in options.additionalEmails ?? [] where !EmailAddress.isContactAddress(email) { throw .invalidEmail(email) }
        options.renewalOfOrderID = try body.int("renewal_of_order_id")
        options.renewedThumbprint = try body.string("renewed_thumbprint")
        options.paymentMethod = try body.string("payment_method")
        if let method = try body.string("dcv_method") {
            if method == "http-token-dynamic" {
                // DigiCert's file validation with a unique file name: never for DV, and not offered by Signet.
                throw .dcvMethodNotAllowed(name: "the order", method: method)
            }
            guard dcvMethods.contains(method) else {
                throw .invalidValue(field: "dcv_method", reason: "use one of \(dcvMethods.sorted().joined(separator: ", "))")
            }
            options.dcvMethod = method
        }
        options.disableCT = try body.bool("disable_ct")
        options.locale = try body.string("locale")
        if let fields = try body.objects("custom_fields") {
            var values: [CustomFieldValue] = []
            for field in fields {
                guard let id = try field.int("metadata_id") else { throw .missingField("custom_fields.metadata_id") }
                values.append(CustomFieldValue(metadataID: id, value: try field.string("value") ?? ""))
            }
            options.customFields = values
        }
        return options
    }

    /// `organization`: `{id, contacts}` for an existing one, or a whole new organization object.
    static func organization(_ object: JSONFields) throws(OrderRuleError) -> (OrganizationReference, [OrderContact]) {
        var contacts: [OrderContact] = []
        for contact in try object.objects("contacts") ?? [] {
            guard let rawType = try contact.string("contact_type") else {
                throw .missingField("organization.contacts.contact_type")
            }
            guard let type = ContactType(rawValue: rawType) else {
                throw .invalidValue(
                    field: "organization.contacts.contact_type",
                    reason: "use organization_contact, technical_contact or ev_approver")
            }
            let userID = try contact.int("user_id")
            contacts.append(OrderContact(type: type, userID: userID, details: try self.contact(contact, required: userID == nil)))
        }
        if let id = try object.int("id") { return (.existing(id), contacts) }
        guard object.has("name") else { throw .missingField("organization.id") }
        return (.new(try organizationDetails(object)), contacts)
    }

    /// The fields of POST /organization (certcentral.md 10), also accepted inline in an order.
    static func organizationDetails(_ object: JSONFields) throws(OrderRuleError) -> OrganizationDetails {
        guard let name = try object.string("name") else { throw .missingField(object.path + "name") }
        guard let country = try object.string("country") else { throw .missingField(object.path + "country") }
        var details = OrganizationDetails(
            name: name, assumedName: try object.string("assumed_name"), address: try object.string("address"),
            address2: try object.string("address2"), city: try object.string("city"), state: try object.string("state"),
            zip: try object.string("zip"), country: country, telephone: try object.string("telephone"),
            registrationNumber: try object.string("registration_number"),
            businessCategory: try object.string("business_category"))
        if let contact = try object.object("organization_contact") {
            details.contact = try self.contact(contact, required: true)
        }
        return try details.validated(fieldPrefix: object.path)
    }

    static func contact(_ object: JSONFields, required: Bool) throws(OrderRuleError) -> Contact? {
        let first = try object.string("first_name")
        let last = try object.string("last_name")
        let email = try object.string("email")
        guard let first, let last, let email else {
            if required {
                let missing = first == nil ? "first_name" : last == nil ? "last_name" : "email"
                throw .missingField(object.path + missing)
            }
            return nil
        }
        guard EmailAddress.isContactAddress(email) else { throw .invalidEmail(email) }
        return Contact(
            firstName: first, lastName: last, email: email, jobTitle: try object.string("job_title"),
            telephone: try object.string("telephone"))
    }
}
