import Foundation

/// What a list of orders shows of each order (CertCentral's `GET /order/certificate`).
///
/// A read model, not an ``Order``: a list of a hundred orders needs neither their CSRs, contacts
/// and DCV state nor whole certificate records, and reading only what it shows, in one query with
/// the names it shows beside them, is what keeps a page fast when millions of orders are stored.
public struct OrderSummary: Sendable, Equatable {
    public var id: Int
    public var containerID: Int
    public var containerName: String?
    public var productNameID: String
    public var status: OrderStatus
    public var organizationID: Int?
    public var organizationName: String?
    public var names: CertificateNames
    public var signatureHash: SignatureHash
    public var billedYears: Int
    public var price: Money
    public var disableRenewalNotifications: Bool
    /// The order's current certificate, with its serial number and end once it is issued.
    public var certificateID: Int?
    public var serialNumber: String?
    public var certificateValidTill: Date?
    /// The current certificate's status (`revoked` while duplicates keep the order `issued`).
    public var certificateStatus: CertificateStatus?
    public var dateCreated: Date
    public var orderValidTill: Date
    public var isRenewed: Bool
    /// Whether a duplicate certificate was requested on the order.
    public var hasDuplicates: Bool

    public init(
        id: Int, containerID: Int, containerName: String?, productNameID: String, status: OrderStatus,
        organizationID: Int?, organizationName: String?, names: CertificateNames, signatureHash: SignatureHash,
        billedYears: Int, price: Money, disableRenewalNotifications: Bool, certificateID: Int?, serialNumber: String?,
        certificateValidTill: Date?, certificateStatus: CertificateStatus? = nil, dateCreated: Date, orderValidTill: Date,
        isRenewed: Bool, hasDuplicates: Bool
    ) {
        self.id = id
        self.containerID = containerID
        self.containerName = containerName
        self.productNameID = productNameID
        self.status = status
        self.organizationID = organizationID
        self.organizationName = organizationName
        self.names = names
        self.signatureHash = signatureHash
        self.billedYears = billedYears
        self.price = price
        self.disableRenewalNotifications = disableRenewalNotifications
        self.certificateID = certificateID
        self.serialNumber = serialNumber
        self.certificateValidTill = certificateValidTill
        self.certificateStatus = certificateStatus
        self.dateCreated = dateCreated
        self.orderValidTill = orderValidTill
        self.isRenewed = isRenewed
        self.hasDuplicates = hasDuplicates
    }

    public var product: Product? { ProductCatalog.product(nameID: productNameID) }
}
