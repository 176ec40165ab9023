import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore

/// Everything order info shows, read in one go.
struct OrderContext: Sendable {
    let order: Order
    /// `nil` while the order waits for its CSR (an ACME order before finalize).
    let certificate: CertificateRecord?
    let organization: Organization?
    let container: Container?
    let users: [Int: User]
    let requests: [ApprovalRequest]
    let duplicatesCount: Int
    let reissuesCount: Int
    /// Per name that needed validation: its domain, and whether a current validation covers it now.
    let dcvNames: [OrderDCVNameView]

    static func load(
        orderID: Int, principal: Principal, connection: StoreSession<some SessionAccess>, now: Date
    ) throws -> OrderContext {
        guard let order = try connection.order(id: orderID), principal.canSee(containerID: order.containerID) else {
            throw WorkflowError.orderNotFound(String(orderID))
        }
        var certificate: CertificateRecord?
        if order.certificateID != nil {
            guard let found = try connection.currentCertificate(of: order) else {
                throw StoreError.inconsistent("order \(order.id) has no certificate")
            }
            certificate = found
        }
        let requests = try connection.requests(orderIDs: [order.id])[order.id] ?? []
        let userIDs = [order.userID] + order.contacts.compactMap(\.userID) + requests.compactMap(\.processorID)
        let counts = try connection.certificateCounts(orderID: order.id)
        return OrderContext(
            order: order, certificate: certificate,
            organization: try order.organizationID.map { try connection.organization(id: $0) } ?? nil,
            container: try connection.container(id: order.containerID),
            users: try connection.users(ids: userIDs), requests: requests,
            duplicatesCount: counts[.duplicate] ?? 0, reissuesCount: counts[.reissue] ?? 0,
            dcvNames: try OrderDCVNameView.load(order, connection: connection, now: now))
    }
}

/// CertCentral's view of a certificate (order info `certificate{}` and `GET /certificate/{id}`).
struct CertificateView: Encodable {
    struct CACertificate: Encodable {
        let id: String
        let name: String
    }

    /// Absent while the order waits for its CSR, as are the fields of a certificate request.
    let id: Int?
    let orderId: Int?
    let status: String?
    let thumbprint: String?
    let serialNumber: String?
    let commonName: String
    let dnsNames: [String]
    let emails: [String]?
    let dateCreated: String
    let dateIssued: String?
    let validFrom: String?
    let validTill: String?
    let daysRemaining: Int?
    let csr: String?
    let organization: IDView?
    let organizationUnits: [String]
    let serverPlatform: ServerPlatform.View
    let signatureHash: String
    let keySize: Int?
    let caCert: CACertificate?

    /// The certificate an order asks for before its CSR came (ACME orders before finalize): the
    /// names and hash only.
    init(awaitingCSR order: Order) {
        id = nil
        orderId = nil
        status = nil
        thumbprint = nil
        serialNumber = nil
        commonName = order.names.commonName
        dnsNames = order.names.subjectAlternativeNames(isTLS: order.product?.isTLS ?? true)
        emails = order.names.emails.isEmpty ? nil : order.names.emails
        dateCreated = CertCentralFormat.timestamp(order.dateCreated)
        (dateIssued, validFrom, validTill, daysRemaining) = (nil, nil, nil, nil)
        csr = nil
        organization = order.organizationID.map(IDView.init)
        organizationUnits = order.organizationUnits
        serverPlatform = ServerPlatform.view(order.serverPlatformID)
        signatureHash = order.signatureHash.rawValue
        keySize = nil
        caCert = nil
    }

    init(_ certificate: CertificateRecord, order: Order, now: Date, issuerName: String?, standalone: Bool) {
        id = certificate.id
        orderId = standalone ? certificate.orderID : nil
        // Order info shows it too: an order kept `issued` by its duplicates may have its certificate revoked.
        status = certificate.status.rawValue
        thumbprint = certificate.issuance?.thumbprint
        serialNumber = certificate.issuance?.serialNumber
        commonName = certificate.names.commonName
        dnsNames = certificate.names.subjectAlternativeNames(isTLS: order.product?.isTLS ?? true)
        emails = certificate.names.emails.isEmpty ? nil : certificate.names.emails
        dateCreated = CertCentralFormat.timestamp(certificate.dateCreated)
        dateIssued = certificate.issuance.map { CertCentralFormat.timestamp($0.dateIssued) }
        validFrom = certificate.issuance.map { CertCentralFormat.day($0.validFrom) }
        validTill = certificate.issuance.map { CertCentralFormat.day($0.validTill) }
        daysRemaining = certificate.issuance.map { CertCentralFormat.daysRemaining(until: $0.validTill, now: now) }
        csr = certificate.csr
        organization = order.organizationID.map(IDView.init)
        organizationUnits = order.organizationUnits
        serverPlatform = ServerPlatform.view(certificate.serverPlatformID)
        signatureHash = certificate.signatureHash.rawValue
        keySize = certificate.key.size
        caCert = certificate.issuance.map { CACertificate(id: $0.issuerID, name: issuerName ?? "") }
    }
}

struct IDView: Encodable {
    let id: Int
}

struct ProductSummaryView: Encodable {
    let nameId: String
    let name: String
    let type: String
    let validationType: String?
    let validationName: String?
    let validationDescription: String?

    init(_ product: Product?, nameID: String, detailed: Bool) {
        nameId = nameID
        name = product?.name ?? nameID
        type = product?.typeName ?? "ssl_certificate"
        let level = product?.validationLevel
        validationType = detailed ? level?.rawValue.lowercased() : nil
        validationName = detailed ? level?.rawValue : nil
        validationDescription = detailed ? level.map(Self.describe) : nil
    }

    private static func describe(_ level: ValidationLevel) -> String {
        switch level {
        case .dv: return "Domain Validation"
        case .ov: return "Normal Organization Validation"
        case .ev: return "Extended Organization Validation (EV)"
        }
    }
}

struct PersonView: Encodable {
    let id: Int
    let firstName: String
    let lastName: String
    let email: String

    init(_ user: User) {
        id = user.id
        firstName = user.firstName
        lastName = user.lastName
        email = user.email
    }
}

struct RequestSummaryView: Encodable {
    let id: Int
    let date: String
    let type: String
    let status: String
    let comments: String?

    init(_ request: ApprovalRequest) {
        id = request.id
        date = CertCentralFormat.timestamp(request.date)
        type = request.type.rawValue
        status = request.status.rawValue
        comments = request.comments
    }
}

extension OrderStatus {
    /// The status CertCentral reports: an issued order whose term ended reads `expired`.
    func reported(orderValidTill: Date, now: Date) -> String {
        self == .issued && orderValidTill < now ? OrderStatus.expired.rawValue : rawValue
    }
}

extension Order {
    func reportedStatus(now: Date) -> String { status.reported(orderValidTill: orderValidTill, now: now) }
}

/// `GET /order/certificate/{order_id}` (certcentral.md 4.2).
struct OrderInfoView: Encodable {
    struct OrganizationSummary: Encodable {
        let id: Int
        let name: String
        let assumedName: String?
        let displayName: String
        let isActive: Bool
        let city: String?
        let state: String?
        let country: String
        let telephone: String?
    }

    let id: Int
    let certificate: CertificateView
    let status: String
    let isRenewal: Bool
    let isRenewed: Bool
    let renewedOrderId: Int?
    let renewalOfOrderId: Int?
    let dateCreated: String
    let orderValidFrom: String
    let orderValidTill: String
    let validityYears: Int
    let isMultiYearPlan: String
    let organization: OrganizationSummary?
    let organizationContact: ContactView?
    let technicalContact: ContactView?
    let container: IDNameView?
    let product: ProductSummaryView
    let user: PersonView?
    let requests: [RequestSummaryView]
    let dcvMethod: String?
    let disableRenewalNotifications: Bool
    let autoRenew: Int
    let customRenewalMessage: String?
    let additionalEmails: [String]?
    let paymentMethod: String
    let price: Double
    let currency: String
    let alternativeOrderId: String?
    let customFields: [CustomFieldView]?
    let disableCt: Bool
    let comments: String?
    let locale: String?
    let renewedThumbprint: String?
    let skipApproval: Bool
    let duplicatesCount: Int
    let reissuesCount: Int
    let allowDuplicates: Bool
    let dcvRandomValue: String?
    let dcvExpirationDatetime: String?
    let domains: [OrderDCVNameView]?
    let caaStatusMessage: [String: String]?

    struct CustomFieldView: Encodable {
        let metadataId: Int
        let value: String
    }

    init(_ context: OrderContext, authority: CertificateAuthority, now: Date) {
        let order = context.order
        id = order.id
        certificate =
            context.certificate.map { record in
                CertificateView(
                    record, order: order, now: now,
                    issuerName: authority.issuer(of: record, family: order.product?.family ?? .tls).ca.commonName,
                    standalone: false)
            } ?? CertificateView(awaitingCSR: order)
        status = order.reportedStatus(now: now)
        isRenewal = order.options.renewalOfOrderID != nil
        isRenewed = order.renewedOrderID != nil
        renewedOrderId = order.renewedOrderID
        renewalOfOrderId = order.options.renewalOfOrderID
        dateCreated = CertCentralFormat.timestamp(order.dateCreated)
        orderValidFrom = CertCentralFormat.day(order.orderValidFrom)
        orderValidTill = CertCentralFormat.day(order.orderValidTill)
        validityYears = order.billedYears
        isMultiYearPlan = order.billedYears > 1 ? "1" : "0"
        organization = context.organization.map {
            OrganizationSummary(
                id: $0.id, name: $0.details.name, assumedName: $0.details.assumedName,
                displayName: $0.details.assumedName ?? $0.details.name, isActive: $0.isActive, city: $0.details.city,
                state: $0.details.state, country: $0.details.country.lowercased(), telephone: $0.details.telephone)
        }
        func contact(_ type: ContactType) -> ContactView? {
            guard let contact = order.contacts.first(where: { $0.type == type }) else {
                return type == .organizationContact ? context.organization?.details.contact.map(ContactView.init) : nil
            }
            if let details = contact.details { return ContactView(details) }
            return contact.userID.flatMap { context.users[$0] }.map {
                ContactView(Contact(firstName: $0.firstName, lastName: $0.lastName, email: $0.email))
            }
        }
        organizationContact = contact(.organizationContact)
        technicalContact = contact(.technicalContact)
        container = context.container.map { IDNameView(id: $0.id, name: $0.name) }
        product = ProductSummaryView(order.product, nameID: order.productNameID, detailed: true)
        user = context.users[order.userID].map(PersonView.init)
        requests = context.requests.map(RequestSummaryView.init)
        dcvMethod = order.options.dcvMethod
        disableRenewalNotifications = order.options.disableRenewalNotifications ?? false
        autoRenew = order.options.autoRenew ?? 0
        customRenewalMessage = order.options.customRenewalMessage
        additionalEmails = order.options.additionalEmails
        paymentMethod = order.options.paymentMethod ?? "balance"
        price = order.price.asDouble
        currency = "USD"
        alternativeOrderId = order.alternativeOrderID
        customFields = order.options.customFields?.map { CustomFieldView(metadataId: $0.metadataID, value: $0.value) }
        disableCt = order.options.disableCT ?? false
        comments = order.options.comments
        locale = order.options.locale
        renewedThumbprint = order.options.renewedThumbprint
        skipApproval = order.options.skipApproval ?? false
        duplicatesCount = context.duplicatesCount
        reissuesCount = context.reissuesCount
        allowDuplicates = true
        dcvRandomValue = order.dcv?.randomValue
        dcvExpirationDatetime = order.dcv.map { CertCentralFormat.timestamp($0.expires) }
        domains = order.dcv == nil ? nil : context.dcvNames
        caaStatusMessage = order.dcv?.caaMessages.isEmpty == false ? order.dcv?.caaMessages : nil
    }
}

/// `GET /order/certificate` (certcentral.md 4.1): a page of order summaries, written with
/// ``JSONWriter`` (sorted keys, absent values left out, as ``CertCentralFormat/encoder`` writes).
enum OrderListView {
    static func json(_ orders: [OrderSummary], page: PageView, now: Date) -> [UInt8] {
        var json = JSONWriter(capacity: 600 * orders.count + 64)
        json.object { json in
            json.key("orders")
            json.array(orders) { json, order in write(order, to: &json, now: now) }
            json.key("page")
            json.object { json in
                json.field("limit", page.limit)
                json.field("offset", page.offset)
                json.field("total", page.total)
            }
        }
        return json.bytes
    }

    private static func write(_ order: OrderSummary, to json: inout JSONWriter, now: Date) {
        let product = ProductSummaryView(order.product, nameID: order.productNameID, detailed: false)
        json.object { json in
            json.key("certificate")
            json.object { json in
                json.field("common_name", order.names.commonName)
                json.field(
                    "days_remaining", order.certificateValidTill.map { CertCentralFormat.daysRemaining(until: $0, now: now) })
                json.key("dns_names")
                json.array(order.names.subjectAlternativeNames(isTLS: order.product?.isTLS ?? true)) { $0.string($1) }
                if let id = order.certificateID { json.field("id", id) }
                json.field("serial_number", order.serialNumber)
                json.field("signature_hash", order.signatureHash.rawValue)
                json.field("status", order.certificateStatus?.rawValue)
                json.field("valid_till", order.certificateValidTill.map(CertCentralFormat.day))
            }
            if let name = order.containerName { json.idName("container", order.containerID, name) }
            json.field("date_created", CertCentralFormat.timestamp(order.dateCreated))
            json.field("disable_renewal_notifications", order.disableRenewalNotifications)
            json.field("has_duplicates", order.hasDuplicates)
            json.field("id", order.id)
            json.field("is_renewed", order.isRenewed)
            if let id = order.organizationID, let name = order.organizationName { json.idName("organization", id, name) }
            json.key("price")
            json.number(order.price.asDouble)
            json.key("product")
            product.write(to: &json)
            json.field("product_name_id", order.productNameID)
            json.field("status", order.status.reported(orderValidTill: order.orderValidTill, now: now))
            json.field("validity_years", order.billedYears)
        }
    }
}

/// One name of an order that needed domain control validation, as order info shows it.
struct OrderDCVNameView: Encodable, Sendable {
    struct Token: Encodable, Sendable {
        let token: String
        let status: String
        let expirationDate: String
    }

    let id: Int?
    let name: String
    let dcvMethod: String
    /// `validated` once a current validation covers the name, `pending` before.
    let status: String
    let dcvToken: Token?
    let message: String?

    static func load(_ order: Order, connection: StoreSession<some SessionAccess>, now: Date) throws -> [OrderDCVNameView] {
        guard let dcv = order.dcv else { return [] }
        let names = dcv.names.keys.sorted()
        // One read for every domain a name needs: its own (for the id) and those whose validation
        // would cover it (`covers` checks that one is valid now).
        let baseNames = names.map { $0.hasPrefix("*.") ? String($0.dropFirst(2)) : $0 }
        let known = try connection.domains(
            named: baseNames + names.flatMap { PublicSuffixList.shared.authorizationDomains(of: $0) },
            containerID: order.containerID)
        var views: [OrderDCVNameView] = []
        for (name, baseName) in zip(names, baseNames) {
            guard let state = dcv.names[name] else { continue }
            let covered =
                order.dcvScope == .order || dcv.isPreauthorized(name)
                ? dcv.validates(name)
                : known.contains { $0.covers(DNSName(checked: name), at: now) }
            let domain = known.first { $0.name == baseName }
            views.append(
                OrderDCVNameView(
                    id: domain?.id, name: name, dcvMethod: state.method, status: covered ? "validated" : "pending",
                    dcvToken: covered || state.method == "email"
                        ? nil
                        : Token(
                            token: dcv.randomValue, status: "pending", expirationDate: CertCentralFormat.timestamp(dcv.expires)),
                    message: covered && !dcv.isPreauthorized(name) ? nil : state.detail))
        }
        return views
    }
}
