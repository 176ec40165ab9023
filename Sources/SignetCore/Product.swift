/// The families of subscriber certificates. Each is issued by its own issuing CA, constrained by
/// extended key usage as both sets of Baseline Requirements want: TLS server certificates, and
/// client certificates (S/MIME, and client authentication, which the S/MIME CA's `clientAuth` allows).
public enum CertificateFamily: String, Sendable, Codable, CaseIterable {
    case tls
    case smime
}

/// How much identity a product's certificates assert, and therefore what must be
/// validated before one is issued.
public enum ValidationLevel: String, Sendable, Codable, CaseIterable {
    /// Domain (or mailbox) control only; no organization in the subject.
    case dv = "DV"
    /// Organization validated: the organization's name and address appear in the subject.
    case ov = "OV"
    /// Extended validation: as OV, plus the EV subject attributes.
    case ev = "EV"

    /// Whether an order at this level needs a validated organization.
    public var needsOrganization: Bool { self != .dv }
}

/// What a certificate is for. Decides the profile (extended key usages, SAN types) and
/// which names an order must carry.
public enum ProductKind: Sendable, Equatable {
    /// A TLS server certificate: DNS names, serverAuth.
    case tls
    /// A client certificate: a person's name and mailboxes, with these key purposes.
    case client(ClientUsage)
}

/// The key purposes a client product puts in its certificates.
public struct ClientUsage: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let clientAuthentication = ClientUsage(rawValue: 1 << 0)
    public static let emailProtection = ClientUsage(rawValue: 1 << 1)
    /// Document signing: adds the non-repudiation (content commitment) key usage.
    public static let documentSigning = ClientUsage(rawValue: 1 << 2)
}

/// One orderable product: the single source of truth for what an order of it may contain
/// and what it costs. Dialects render it; the workflow enforces it.
public struct Product: Sendable, Equatable {
    /// CertCentral's `name_id`, e.g. `ssl_securesite_pro`.
    public let nameID: String
    public let name: String
    /// CertCentral's `group_name`, e.g. `ssl_certificate` or `client_certificate`.
    public let groupName: String
    public let kind: ProductKind
    public let validationLevel: ValidationLevel
    public let allowedHashes: [SignatureHash]
    /// Whether names other than the common name (and its `www.` twin) may be added.
    public let additionalNamesAllowed: Bool
    /// Whether `*.` names are allowed.
    public let wildcardAllowed: Bool
    /// Whether only wildcard names are allowed (legacy `ssl_wildcard`).
    public let wildcardOnly: Bool
    /// Upper bound on the number of names in one certificate.
    public let maximumNames: Int
    /// Accepted order lengths in whole years.
    public let allowedValidityYears: ClosedRange<Int>
    /// How far ahead an order may end, in days (covers `validity_days` and custom dates).
    public let maximumOrderDays: Int
    /// Price of one year of the product, covering the common name.
    public let pricePerYear: Money
    /// Price of each further name per year.
    public let pricePerAdditionalName: Money

    public var isTLS: Bool { kind == .tls }

    /// The issuing CA family that signs this product's certificates.
    public var family: CertificateFamily { isTLS ? .tls : .smime }

    /// Whether the certificates are S/MIME certificates (they carry `emailProtection`).
    public var isSMIME: Bool { clientUsage?.contains(.emailProtection) ?? false }

    public var clientUsage: ClientUsage? {
        if case .client(let usage) = kind { return usage }
        return nil
    }

    /// CertCentral's product `type`.
    public var typeName: String {
        switch kind {
        case .tls: return "ssl_certificate"
        case .client: return "client_certificate"
        }
    }

    public init(
        nameID: String, name: String, groupName: String, kind: ProductKind,
        validationLevel: ValidationLevel, allowedHashes: [SignatureHash],
        additionalNamesAllowed: Bool, wildcardAllowed: Bool, wildcardOnly: Bool = false,
        maximumNames: Int, allowedValidityYears: ClosedRange<Int>, maximumOrderDays: Int,
        pricePerYear: Money, pricePerAdditionalName: Money
    ) {
        self.nameID = nameID
        self.name = name
        self.groupName = groupName
        self.kind = kind
        self.validationLevel = validationLevel
        self.allowedHashes = allowedHashes
        self.additionalNamesAllowed = additionalNamesAllowed
        self.wildcardAllowed = wildcardAllowed
        self.wildcardOnly = wildcardOnly
        self.maximumNames = maximumNames
        self.allowedValidityYears = allowedValidityYears
        self.maximumOrderDays = maximumOrderDays
        self.pricePerYear = pricePerYear
        self.pricePerAdditionalName = pricePerAdditionalName
    }
}
