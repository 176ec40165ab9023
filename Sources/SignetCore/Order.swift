import Foundation

/// A stored order: what was bought, for whom, and where it stands.
public struct Order: Sendable, Equatable {
    public var id: Int
    public var containerID: Int
    public var userID: Int
    public var productNameID: String
    public var status: OrderStatus
    public var organizationID: Int?
    public var names: CertificateNames
    public var signatureHash: SignatureHash
    public var serverPlatformID: Int?
    public var profileOption: TLSProfileOption?
    public var organizationUnits: [String]
    public var orderValidFrom: Date
    public var orderValidTill: Date
    public var certificateValidTill: Date?
    public var billedYears: Int
    public var price: Money
    public var alternativeOrderID: String?
    public var contacts: [OrderContact]
    public var options: OrderOptions
    /// The order's current certificate (the primary, or the latest reissue); `nil` while the order
    /// waits for its CSR (an ACME order before finalize, a reseller order before its CSR).
    public var certificateID: Int?
    public var dateCreated: Date
    public var dateUpdated: Date
    /// Domain control validation state; `nil` when no name needed it.
    public var dcv: OrderDCV?
    /// The order that renewed this one, once there is one (each order is renewed at most once).
    public var renewedOrderID: Int?
    /// The front end that placed it; its events go to that dialect only.
    public var origin: OrderOrigin

    public init(
        id: Int, containerID: Int, userID: Int, productNameID: String, status: OrderStatus, organizationID: Int?,
        names: CertificateNames, signatureHash: SignatureHash, serverPlatformID: Int?, profileOption: TLSProfileOption?,
        organizationUnits: [String], orderValidFrom: Date, orderValidTill: Date, certificateValidTill: Date?,
        billedYears: Int, price: Money, alternativeOrderID: String?, contacts: [OrderContact], options: OrderOptions,
        certificateID: Int?, dateCreated: Date, dateUpdated: Date, dcv: OrderDCV? = nil, renewedOrderID: Int? = nil,
        origin: OrderOrigin = .certCentral
    ) {
        self.id = id
        self.containerID = containerID
        self.userID = userID
        self.productNameID = productNameID
        self.status = status
        self.organizationID = organizationID
        self.names = names
        self.signatureHash = signatureHash
        self.serverPlatformID = serverPlatformID
        self.profileOption = profileOption
        self.organizationUnits = organizationUnits
        self.orderValidFrom = orderValidFrom
        self.orderValidTill = orderValidTill
        self.certificateValidTill = certificateValidTill
        self.billedYears = billedYears
        self.price = price
        self.alternativeOrderID = alternativeOrderID
        self.contacts = contacts
        self.options = options
        self.certificateID = certificateID
        self.dateCreated = dateCreated
        self.dateUpdated = dateUpdated
        self.dcv = dcv
        self.renewedOrderID = renewedOrderID
        self.origin = origin
    }

    public var product: Product? { ProductCatalog.product(nameID: productNameID) }

    /// Which validations count for this order's names (DigiCert's DV orders count only their own).
    public var dcvScope: DCVScope { product.map { DCVScope(product: $0, origin: origin) } ?? .container }
}

/// Why a certificate is on an order.
public enum CertificateRole: String, Sendable, Codable {
    case primary
    case reissue
    case duplicate
}

/// The public key of a CSR as the API reports it.
public struct KeyDescription: Sendable, Equatable, Codable {
    public enum Algorithm: String, Sendable, Codable {
        case rsa = "RSA"
        case ecdsa = "ECDSA"
    }

    public var algorithm: Algorithm
    /// Modulus bits for RSA, field size for ECDSA (256, 384).
    public var size: Int

    public init(algorithm: Algorithm, size: Int) {
        self.algorithm = algorithm
        self.size = size
    }
}

/// A certificate on an order, from request to issuance.
public struct CertificateRecord: Sendable, Equatable {
    public var id: Int
    public var orderID: Int
    public var role: CertificateRole
    public var status: CertificateStatus
    public var names: CertificateNames
    public var csr: String
    public var key: KeyDescription
    public var signatureHash: SignatureHash
    public var serverPlatformID: Int?
    public var userID: Int
    public var dateCreated: Date
    /// Set once issued.
    public var issuance: Issuance?
    /// Set once revoked.
    public var revocation: Revocation?

    /// What signing added: the serial and the certificate itself.
    public struct Issuance: Sendable, Equatable {
        /// Upper-case hex, as CertCentral shows serial numbers.
        public var serialNumber: String
        /// SHA-1 of the DER, upper-case hex.
        public var thumbprint: String
        public var pem: String
        public var validFrom: Date
        public var validTill: Date
        public var dateIssued: Date
        /// The issuing CA's id (`ca_cert_id`).
        public var issuerID: String

        public init(
            serialNumber: String, thumbprint: String, pem: String, validFrom: Date, validTill: Date, dateIssued: Date,
            issuerID: String
        ) {
            self.serialNumber = serialNumber
            self.thumbprint = thumbprint
            self.pem = pem
            self.validFrom = validFrom
            self.validTill = validTill
            self.dateIssued = dateIssued
            self.issuerID = issuerID
        }
    }

    public init(
        id: Int, orderID: Int, role: CertificateRole, status: CertificateStatus, names: CertificateNames, csr: String,
        key: KeyDescription, signatureHash: SignatureHash, serverPlatformID: Int?, userID: Int, dateCreated: Date,
        issuance: Issuance?, revocation: Revocation? = nil
    ) {
        self.id = id
        self.orderID = orderID
        self.role = role
        self.status = status
        self.names = names
        self.csr = csr
        self.key = key
        self.signatureHash = signatureHash
        self.serverPlatformID = serverPlatformID
        self.userID = userID
        self.dateCreated = dateCreated
        self.issuance = issuance
        self.revocation = revocation
    }
}

/// An approval request: a new order, a reissue, a duplicate or a revocation waiting for a decision.
public struct ApprovalRequest: Sendable, Equatable {
    public var id: Int
    public var orderID: Int
    public var certificateID: Int?
    public var type: RequestType
    public var status: RequestStatus
    public var requesterID: Int
    public var processorID: Int?
    public var comments: String?
    public var processorComment: String?
    public var date: Date
    public var dateProcessed: Date?
    /// For revoke requests: the reason to record once approved.
    public var revocationReason: RevocationReason?

    public init(
        id: Int, orderID: Int, certificateID: Int?, type: RequestType, status: RequestStatus, requesterID: Int,
        processorID: Int?, comments: String?, processorComment: String?, date: Date, dateProcessed: Date?,
        revocationReason: RevocationReason? = nil
    ) {
        self.id = id
        self.orderID = orderID
        self.certificateID = certificateID
        self.type = type
        self.status = status
        self.requesterID = requesterID
        self.processorID = processorID
        self.comments = comments
        self.processorComment = processorComment
        self.date = date
        self.dateProcessed = dateProcessed
        self.revocationReason = revocationReason
    }
}

extension Order {
    /// When a certificate starting at `notBefore` must end: the order's end, the requested
    /// certificate end, or the industry maximum, whichever comes first.
    ///
    /// The Baseline Requirements count validity inclusively (notAfter − notBefore + 1 s), so
    /// the cap ends one second before a whole number of days.
    public func certificateEnd(notBefore: Date, product: Product, policy: ValidityPolicy) -> Date {
        Self.certificateEnd(
            notBefore: notBefore, orderValidTill: orderValidTill, certificateValidTill: certificateValidTill, product: product,
            policy: policy)
    }

    /// The same, for an order not yet stored.
    public static func certificateEnd(
        notBefore: Date, orderValidTill: Date, certificateValidTill: Date?, product: Product, policy: ValidityPolicy
    ) -> Date {
        let cap = notBefore.addingTimeInterval(Double(policy.maximumCertificateDays(for: product, on: notBefore)) * 86_400 - 1)
        return min(orderValidTill, certificateValidTill ?? orderValidTill, cap)
    }

    /// When a certificate signed at `date` starts: midnight UTC of that day, as DigiCert does, so
    /// that a relying party whose clock runs a little behind accepts a new certificate. The Baseline
    /// Requirements (7.1.2.7) allow backdating by up to 48 hours.
    public static func notBefore(signedAt date: Date) -> Date {
        Calendar.utc.startOfDay(for: date)
    }
}
