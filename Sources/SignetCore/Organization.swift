import Foundation

/// A person attached to an organization or an order (CertCentral's contact objects).
public struct Contact: Sendable, Equatable, Codable {
    public var firstName: String
    public var lastName: String
    public var email: String
    public var jobTitle: String?
    public var telephone: String?

    public init(firstName: String, lastName: String, email: String, jobTitle: String? = nil, telephone: String? = nil) {
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.jobTitle = jobTitle
        self.telephone = telephone
    }
}

/// A contact's role on an order.
public enum ContactType: String, Sendable, Codable, CaseIterable {
    case organizationContact = "organization_contact"
    case technicalContact = "technical_contact"
    case evApprover = "ev_approver"
    case verifiedContact = "verified_contact"
}

/// A contact on an order: an existing user, or new contact details.
public struct OrderContact: Sendable, Equatable, Codable {
    public var type: ContactType
    public var userID: Int?
    public var details: Contact?

    public init(type: ContactType, userID: Int?, details: Contact?) {
        self.type = type
        self.userID = userID
        self.details = details
    }
}

/// What identifies an organization, as the subject of OV and EV certificates shows it.
public struct OrganizationDetails: Sendable, Equatable, Codable {
    public var name: String
    public var assumedName: String?
    public var address: String?
    public var address2: String?
    public var city: String?
    public var state: String?
    public var zip: String?
    /// ISO 3166-1 alpha-2, stored upper case.
    public var country: String
    public var telephone: String?
    /// EV subject attributes (EV Guidelines 9.2): registration number and business category.
    public var registrationNumber: String?
    public var businessCategory: String?
    public var contact: Contact?

    public init(
        name: String, assumedName: String? = nil, address: String? = nil, address2: String? = nil,
        city: String? = nil, state: String? = nil, zip: String? = nil, country: String, telephone: String? = nil,
        registrationNumber: String? = nil, businessCategory: String? = nil, contact: Contact? = nil
    ) {
        self.name = name
        self.assumedName = assumedName
        self.address = address
        self.address2 = address2
        self.city = city
        self.state = state
        self.zip = zip
        self.country = country
        self.telephone = telephone
        self.registrationNumber = registrationNumber
        self.businessCategory = businessCategory
        self.contact = contact
    }

    /// Checks what every certificate subject needs: printable text within the X.520 bounds in
    /// every field that can reach a subject, a name, and a two-letter country.
    public func validated(fieldPrefix: String) throws(OrderRuleError) -> OrganizationDetails {
        var copy = self
        copy.name = name.trimmingWhitespace()
        guard !copy.name.isEmpty else { throw .missingField(fieldPrefix + "name") }
        copy.country = country.trimmingWhitespace().uppercased()
        if let problem = CountryCode.problem(copy.country) {
            throw .invalidValue(field: fieldPrefix + "country", reason: problem)
        }
        let bounded: [(String, String?, Int)] = [
            ("name", copy.name, 64), ("assumed_name", assumedName, 64), ("address", address, 128),
            ("address2", address2, 128), ("city", city, 128), ("state", state, 128), ("zip", zip, 40),
            ("telephone", telephone, 64), ("registration_number", registrationNumber, 64),
            ("business_category", businessCategory, 64),
        ]
        for (field, value, limit) in bounded {
            guard let value = value?.trimmingWhitespace(), !value.isEmpty else { continue }
            try SubjectText.check(value, field: fieldPrefix + field, maximumLength: limit)
        }
        if let contact {
            for (field, value) in [("first_name", contact.firstName), ("last_name", contact.lastName)] where !value.isEmpty {
                try SubjectText.check(value, field: fieldPrefix + "organization_contact." + field)
            }
        }
        // X.520 serialNumber is a PrintableString (EV Guidelines 9.2.6): other characters cannot be encoded.
        if let number = registrationNumber?.trimmingWhitespace(), !number.isEmpty, !Self.isPrintableString(number) {
            throw .invalidValue(
                field: fieldPrefix + "registration_number",
                reason: "use letters, digits, spaces and ' ( ) + , - . / : = ? only (an X.520 PrintableString)")
        }
        if let category = businessCategory?.trimmingWhitespace(), !category.isEmpty,
            !Self.businessCategories.contains(category)
        {
            throw .invalidValue(
                field: fieldPrefix + "business_category",
                reason:
                    "use one of \(Self.businessCategories.sorted().map { "'\($0)'" }.joined(separator: ", ")) (EV Guidelines 9.2.3)"
            )
        }
        return copy
    }

    /// The values EV Guidelines 9.2.3 allows in `businessCategory`.
    public static let businessCategories: Set<String> = [
        "Private Organization", "Government Entity", "Business Entity", "Non-Commercial Entity",
    ]

    /// X.680's PrintableString alphabet.
    public static func isPrintableString(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
                    || " '()+,-./:=?".unicodeScalars.contains(scalar))
        }
    }

    /// Checks what a subject at `level` needs of the organization (BR 7.1.4.2.2, EV Guidelines 9.2):
    /// OV and EV subjects name a locality or a state; EV subjects carry a registration number.
    public func checkSubject(for level: ValidationLevel, fieldPrefix: String) throws(OrderRuleError) {
        guard level != .dv else { return }
        let locality = city?.trimmingWhitespace() ?? ""
        let region = state?.trimmingWhitespace() ?? ""
        if locality.isEmpty && region.isEmpty {
            throw .invalidValue(
                field: fieldPrefix + "city",
                reason:
                    "an \(level.rawValue) certificate names the organization's locality (city) or state; the organization has neither"
            )
        }
        if level == .ev, (registrationNumber?.trimmingWhitespace() ?? "").isEmpty {
            throw .invalidValue(
                field: fieldPrefix + "registration_number",
                reason: "an EV certificate carries the organization's registration number")
        }
    }
}

/// A stored organization and how far it is validated.
public struct Organization: Sendable, Equatable {
    public var id: Int
    public var containerID: Int
    public var details: OrganizationDetails
    public var ovValidatedUntil: Date?
    public var evValidatedUntil: Date?
    public var isActive: Bool
    public var dateCreated: Date

    public init(
        id: Int, containerID: Int, details: OrganizationDetails, ovValidatedUntil: Date?,
        evValidatedUntil: Date?, isActive: Bool, dateCreated: Date
    ) {
        self.id = id
        self.containerID = containerID
        self.details = details
        self.ovValidatedUntil = ovValidatedUntil
        self.evValidatedUntil = evValidatedUntil
        self.isActive = isActive
        self.dateCreated = dateCreated
    }

    /// Whether the organization may appear in a certificate of `level` issued at `date`.
    public func isValidated(for level: ValidationLevel, at date: Date) -> Bool {
        switch level {
        case .dv: return true
        case .ov: return (ovValidatedUntil.map { $0 > date } ?? false) || isValidated(for: .ev, at: date)
        case .ev: return evValidatedUntil.map { $0 > date } ?? false
        }
    }
}

/// The reference to an organization an order carries: an existing id or a new organization.
public enum OrganizationReference: Sendable, Equatable {
    case existing(Int)
    case new(OrganizationDetails)
}
