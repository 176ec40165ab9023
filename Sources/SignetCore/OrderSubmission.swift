import Foundation

/// Settings of an order that Signet keeps and reports but that do not change what is issued.
public struct OrderOptions: Sendable, Equatable, Codable {
    public var comments: String?
    public var autoRenew: Int?
    public var customRenewalMessage: String?
    public var disableRenewalNotifications: Bool?
    public var additionalEmails: [String]?
    public var renewalOfOrderID: Int?
    public var renewedThumbprint: String?
    public var paymentMethod: String?
    public var dcvMethod: String?
    public var disableCT: Bool?
    public var locale: String?
    public var customFields: [CustomFieldValue]?
    /// Whether the order skipped the approval step (kept to answer repeats in the same shape).
    public var skipApproval: Bool?

    public init() {}
}

/// An account-specific custom field value on an order.
public struct CustomFieldValue: Sendable, Equatable, Codable {
    public var metadataID: Int
    public var value: String

    public init(metadataID: Int, value: String) {
        self.metadataID = metadataID
        self.value = value
    }
}

/// A person's name as a subject shows it (X.520 givenName and surname).
public struct PersonName: Sendable, Equatable, Codable {
    public var givenName: String
    public var surname: String

    public init(givenName: String, surname: String) {
        self.givenName = givenName
        self.surname = surname
    }

    /// "Given Surname", the personal name a common name may hold.
    public var displayName: String { "\(givenName) \(surname)" }
}

/// A request to place an order, decoded from a dialect but not yet checked.
public struct OrderSubmission: Sendable {
    public var productNameID: String
    public var commonName: String?
    /// The subscriber's own name (`certificate.first_name`, `certificate.last_name`), when given.
    public var person: PersonName?
    public var dnsNames: [String] = []
    public var emails: [String] = []
    public var csr: String?
    /// The CSR comes when the order is finalized (ACME), not with the order itself.
    public var csrAtFinalize = false
    public var signatureHash: String?
    public var organizationUnits: [String] = []
    public var serverPlatformID: Int?
    public var profileOption: String?
    /// `order_validity{…}` when given.
    public var orderValidity: ValidityRequest?
    /// The legacy root-level `validity_years` / `validity_days` / `custom_expiration_date`.
    public var legacyValidity: ValidityRequest?
    /// `certificate.cert_validity{…}`: the first certificate's life inside a longer order.
    public var certificateValidity: ValidityRequest?
    public var organization: OrganizationReference?
    public var contacts: [OrderContact] = []
    public var containerID: Int?
    public var skipApproval = false
    /// The client's idempotency key.
    public var alternativeOrderID: String?
    public var options = OrderOptions()
    /// A DCV method per name, when a dialect lets each name choose (the reseller's `domain_dcv`).
    public var dcvMethodsByName: [String: String] = [:]
    /// The one approver address per name that e-mail validation writes to, when chosen.
    public var approverEmails: [String: String] = [:]
    /// The front end placing the order.
    public var origin = OrderOrigin.certCentral

    public init(productNameID: String) {
        self.productNameID = productNameID
    }
}

/// The extended key usage choice CertCentral calls a profile option.
public enum TLSProfileOption: String, Sendable, Codable, CaseIterable {
    case serverAuthOnly = "server_auth_only_eku"
    case serverAndClientAuth = "server_client_auth_eku"
}

/// The names a certificate will carry.
public struct CertificateNames: Sendable, Equatable, Codable {
    public var commonName: String
    /// Additional names as the client gave them (normalized, without repeats): DNS names, and in
    /// containers whose naming policy is private IP addresses too (``IPAddress/init(identifier:)``'s text).
    public var dnsNames: [String]
    /// Mailboxes (client certificates).
    public var emails: [String]
    /// The subscriber's given name and surname, for sponsor-validated S/MIME subjects: taken from
    /// explicit fields, never guessed by splitting a common name.
    public var person: PersonName?

    public init(commonName: String, dnsNames: [String], emails: [String], person: PersonName? = nil) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.emails = emails
        self.person = person
    }

    /// Whether a name of a certificate is an IP address (an iPAddress SAN), not a DNS name.
    public static func isIPAddress(_ name: String) -> Bool { IPAddress(identifier: name) != nil }

    /// Every name the certificate's SAN extension lists, DNS names and IP addresses: for TLS the
    /// common name first.
    public func subjectAlternativeNames(isTLS: Bool) -> [String] {
        guard isTLS else { return dnsNames }
        var seen: Set<String> = [commonName]
        return [commonName] + dnsNames.filter { seen.insert($0).inserted }
    }
}

/// A checked order: everything the workflow needs to store, charge and later issue.
public struct OrderPlan: Sendable {
    public let product: Product
    public let names: CertificateNames
    public let signatureHash: SignatureHash
    public let profileOption: TLSProfileOption?
    public let organizationUnits: [String]
    public let orderValidFrom: Date
    public let orderValidTill: Date
    /// The first certificate's requested end when `cert_validity` asks for less than the order.
    public let certificateValidTill: Date?
    /// Whole years billed.
    public let billedYears: Int
    public let price: Money
}
