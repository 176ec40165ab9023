import Foundation
import SQLKit
import SignetCore

struct OrderRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var userId: Int
    var productNameId: String
    var status: String
    var organizationId: Int?
    var commonName: String
    var namesJson: String
    var signatureHash: String
    var serverPlatformId: Int?
    var profileOption: String?
    var organizationUnitsJson: String
    var orderValidFrom: Date
    var orderValidTill: Date
    var certificateValidTill: Date?
    var billedYears: Int
    var priceCents: Int64
    var alternativeOrderId: String?
    var requestFingerprint: String?
    var contactsJson: String
    var optionsJson: String
    var certificateId: Int?
    var dateCreated: Date
    var dateUpdated: Date
    var dcvJson: String?
    var dcvNextCheck: Date?
    /// The order this one renews (from `options.renewalOfOrderID`, cleared if the renewal is
    /// rejected); a unique index lets an order be renewed only once.
    var renewalOfOrderId: Int?
    var renewedOrderId: Int?
    /// When the background renewal pass next takes the order (its lease while it runs).
    var autoRenewalDue: Date?

    init(_ order: Order, fingerprint: String?, dcvNextCheck: Date?) throws {
        containerId = order.containerID
        userId = order.userID
        productNameId = order.productNameID
        status = order.status.rawValue
        organizationId = order.organizationID
        commonName = order.names.commonName
        namesJson = try JSONColumn.encode(order.names)
        signatureHash = order.signatureHash.rawValue
        serverPlatformId = order.serverPlatformID
        profileOption = order.profileOption?.rawValue
        organizationUnitsJson = try JSONColumn.encode(order.organizationUnits)
        orderValidFrom = order.orderValidFrom
        orderValidTill = order.orderValidTill
        certificateValidTill = order.certificateValidTill
        billedYears = order.billedYears
        priceCents = order.price.cents
        alternativeOrderId = order.alternativeOrderID
        requestFingerprint = fingerprint
        contactsJson = try JSONColumn.encode(order.contacts)
        optionsJson = try JSONColumn.encode(order.options)
        certificateId = order.certificateID == 0 ? nil : order.certificateID
        dateCreated = order.dateCreated
        dateUpdated = order.dateUpdated
        dcvJson = try order.dcv.map(JSONColumn.encode)
        self.dcvNextCheck = dcvNextCheck
        renewalOfOrderId = order.options.renewalOfOrderID
        renewedOrderId = order.renewedOrderID
        autoRenewalDue = RenewalRules.autoRenewalDate(of: order)
    }

    func record() throws -> Order {
        guard let status = OrderStatus(rawValue: status), let hash = SignatureHash(rawValue: signatureHash) else {
            throw StoreError.inconsistent("order \(id ?? 0) has an unknown status or hash")
        }
        return Order(
            id: id ?? 0, containerID: containerId, userID: userId, productNameID: productNameId, status: status,
            organizationID: organizationId, names: try JSONColumn.decode(CertificateNames.self, from: namesJson),
            signatureHash: hash, serverPlatformID: serverPlatformId,
            profileOption: profileOption.flatMap(TLSProfileOption.init(rawValue:)),
            organizationUnits: try JSONColumn.decode([String].self, from: organizationUnitsJson),
            orderValidFrom: orderValidFrom, orderValidTill: orderValidTill, certificateValidTill: certificateValidTill,
            billedYears: billedYears, price: Money(cents: priceCents), alternativeOrderID: alternativeOrderId,
            contacts: try JSONColumn.decode([OrderContact].self, from: contactsJson),
            options: try JSONColumn.decode(OrderOptions.self, from: optionsJson), certificateID: certificateId ?? 0,
            dateCreated: dateCreated, dateUpdated: dateUpdated,
            dcv: try dcvJson.map { try JSONColumn.decode(OrderDCV.self, from: $0) }, renewedOrderID: renewedOrderId)
    }
}

struct CertificateRow: Codable, Sendable {
    var id: Int?
    var orderId: Int
    var role: String
    var status: String
    var commonName: String
    var namesJson: String
    var csr: String
    var keyAlgorithm: String
    var keySize: Int
    var signatureHash: String
    var serverPlatformId: Int?
    var userId: Int
    var dateCreated: Date
    var serialNumber: String?
    var thumbprint: String?
    var pem: String?
    var validFrom: Date?
    var validTill: Date?
    var dateIssued: Date?
    var issuerId: String?
    var revokedAt: Date?
    var revocationReason: String?

    init(_ record: CertificateRecord) throws {
        orderId = record.orderID
        role = record.role.rawValue
        status = record.status.rawValue
        commonName = record.names.commonName
        namesJson = try JSONColumn.encode(record.names)
        csr = record.csr
        keyAlgorithm = record.key.algorithm.rawValue
        keySize = record.key.size
        signatureHash = record.signatureHash.rawValue
        serverPlatformId = record.serverPlatformID
        userId = record.userID
        dateCreated = record.dateCreated
        serialNumber = record.issuance?.serialNumber
        thumbprint = record.issuance?.thumbprint
        pem = record.issuance?.pem
        validFrom = record.issuance?.validFrom
        validTill = record.issuance?.validTill
        dateIssued = record.issuance?.dateIssued
        issuerId = record.issuance?.issuerID
        revokedAt = record.revocation?.date
        revocationReason = record.revocation?.reason.rawValue
    }

    func record() throws -> CertificateRecord {
        guard let role = CertificateRole(rawValue: role), let status = CertificateStatus(rawValue: status),
            let algorithm = KeyDescription.Algorithm(rawValue: keyAlgorithm),
            let hash = SignatureHash(rawValue: signatureHash)
        else { throw StoreError.inconsistent("certificate \(id ?? 0) has an unknown role, status, key or hash") }
        var issuance: CertificateRecord.Issuance?
        if let serialNumber, let thumbprint, let pem, let validFrom, let validTill, let dateIssued, let issuerId {
            issuance = .init(
                serialNumber: serialNumber, thumbprint: thumbprint, pem: pem, validFrom: validFrom, validTill: validTill,
                dateIssued: dateIssued, issuerID: issuerId)
        }
        var revocation: Revocation?
        if let revokedAt {
            revocation = Revocation(date: revokedAt, reason: revocationReason.flatMap(RevocationReason.init(rawValue:)) ?? .unspecified)
        }
        return CertificateRecord(
            id: id ?? 0, orderID: orderId, role: role, status: status,
            names: try JSONColumn.decode(CertificateNames.self, from: namesJson), csr: csr,
            key: KeyDescription(algorithm: algorithm, size: keySize), signatureHash: hash,
            serverPlatformID: serverPlatformId, userID: userId, dateCreated: dateCreated, issuance: issuance,
            revocation: revocation)
    }
}

struct RequestRow: Codable, Sendable {
    var id: Int?
    var orderId: Int
    var containerId: Int
    var certificateId: Int?
    var type: String
    var status: String
    var requesterId: Int
    var processorId: Int?
    var comments: String?
    var processorComment: String?
    var date: Date
    var dateProcessed: Date?
    var revocationReason: String?

    init(_ request: ApprovalRequest, containerID: Int) {
        orderId = request.orderID
        containerId = containerID
        certificateId = request.certificateID
        type = request.type.rawValue
        status = request.status.rawValue
        requesterId = request.requesterID
        processorId = request.processorID
        comments = request.comments
        processorComment = request.processorComment
        date = request.date
        dateProcessed = request.dateProcessed
        revocationReason = request.revocationReason?.rawValue
    }

    func record() throws -> ApprovalRequest {
        guard let type = RequestType(rawValue: type), let status = RequestStatus(rawValue: status) else {
            throw StoreError.inconsistent("request \(id ?? 0) has an unknown type or status")
        }
        return ApprovalRequest(
            id: id ?? 0, orderID: orderId, certificateID: certificateId, type: type, status: status,
            requesterID: requesterId, processorID: processorId, comments: comments, processorComment: processorComment,
            date: date, dateProcessed: dateProcessed,
            revocationReason: revocationReason.flatMap(RevocationReason.init(rawValue:)))
    }
}

extension StoreConnection {
    // MARK: orders

    /// Stores a new order and returns its id. `fingerprint` identifies the request body behind an
    /// idempotency key; `dcvNextCheck` schedules the first background DCV check.
    public func insertOrder(_ order: Order, fingerprint: String?, dcvNextCheck: Date? = nil) async throws -> Int {
        try await insert(into: "orders", OrderRow(order, fingerprint: fingerprint, dcvNextCheck: dcvNextCheck))
    }

    /// Replaces an order's DCV state and schedules (or, with `nil`, stops) its background checks.
    public func setOrderDCV(orderID: Int, _ dcv: OrderDCV?, nextCheck: Date?) async throws {
        try await sql.update("orders").set("dcv_json", to: try dcv.map(JSONColumn.encode))
            .set("dcv_next_check", to: nextCheck).where("id", .equal, orderID).run()
    }

    /// Replaces an order's options (e.g. after a change of DCV method).
    public func setOrderOptions(orderID: Int, _ options: OrderOptions) async throws {
        try await sql.update("orders").set("options_json", to: try JSONColumn.encode(options)).where("id", .equal, orderID).run()
    }

    /// Leases the orders whose DCV check is due to the caller until `leaseUntil` (their check then
    /// sets the real next time): other instances skip them meanwhile.
    public func leaseOrdersDueForDCV(at date: Date, leaseUntil: Date, limit: Int) async throws -> [Int] {
        let ids = try await sql.select().column("id").from("orders").where("dcv_next_check", .lessThanOrEqual, date)
            .where("status", .in, [OrderStatus.needsApproval, .pending, .reissuePending, .issued].map(\.rawValue))
            .orderBy("dcv_next_check").limit(limit).lockingRows(skipLocked: true).all(decodingColumn: "id", as: Int.self)
        if !ids.isEmpty {
            try await sql.update("orders").set("dcv_next_check", to: leaseUntil).where("id", .in, ids).run()
        }
        return ids
    }

    /// The order; with `forUpdate`, locked until the transaction ends (another instance waits).
    public func order(id: Int, forUpdate: Bool = false) async throws -> Order? {
        var query = sql.select().column("*").from("orders").where("id", .equal, id)
        if forUpdate { query = query.lockingRows() }
        return try await query.first(decoding: OrderRow.self, with: Self.decoder)?.record()
    }

    /// The order a container placed under a client idempotency key, with the fingerprint of its
    /// request. Keys are the container's own: another container's use of the same key is invisible.
    public func order(alternativeOrderID: String, containerID: Int) async throws -> (order: Order, fingerprint: String?)? {
        guard
            let row = try await sql.select().column("*").from("orders")
                .where("alternative_order_id", .equal, alternativeOrderID).where("container_id", .equal, containerID)
                .first(decoding: OrderRow.self, with: Self.decoder)
        else { return nil }
        return (try row.record(), row.requestFingerprint)
    }

    /// The orders placed under a client idempotency key in any of `containerIDs` (all when `nil`), by id.
    public func orders(alternativeOrderID: String, containerIDs: Set<Int>?) async throws -> [Order] {
        var query = sql.select().column("*").from("orders").where("alternative_order_id", .equal, alternativeOrderID)
        if let containerIDs { query = query.where("container_id", .in, Array(containerIDs)) }
        return try await query.orderBy("id").all(decoding: OrderRow.self, with: Self.decoder).map { try $0.record() }
    }

    /// Points a new order at its certificate, with the status that certificate gave it.
    public func setOrderCertificate(orderID: Int, certificateID: Int, status: OrderStatus, at date: Date) async throws {
        try await sql.update("orders").set("certificate_id", to: certificateID).set("status", to: status.rawValue)
            .set("date_updated", to: date).where("id", .equal, orderID).run()
    }

    public func setOrderStatus(orderID: Int, status: OrderStatus, at date: Date) async throws {
        try await sql.update("orders").set("status", to: status.rawValue).set("date_updated", to: date)
            .where("id", .equal, orderID).run()
    }

    /// Ids of certificates in `status`, oldest first.
    public func certificateIDs(status: CertificateStatus, limit: Int) async throws -> [Int] {
        try await sql.select().column("id").from("certificates").where("status", .equal, status.rawValue).orderBy("id")
            .limit(limit).all(decodingColumn: "id", as: Int.self)
    }

    /// Makes `certificate` the order's current one, with its names, after a reissue.
    public func setOrderCurrentCertificate(orderID: Int, certificate: CertificateRecord, at date: Date) async throws {
        try await sql.update("orders").set("certificate_id", to: certificate.id)
            .set("common_name", to: certificate.names.commonName)
            .set("names_json", to: try JSONColumn.encode(certificate.names))
            .set("date_updated", to: date)
            .where("id", .equal, orderID).run()
    }

    // MARK: certificates

    public func insertCertificate(_ record: CertificateRecord) async throws -> Int {
        try await insert(into: "certificates", CertificateRow(record))
    }

    /// The certificate; with `forUpdate`, locked until the transaction ends, so that two instances
    /// never both sign it.
    public func certificate(id: Int, forUpdate: Bool = false) async throws -> CertificateRecord? {
        var query = sql.select().column("*").from("certificates").where("id", .equal, id)
        if forUpdate { query = query.lockingRows() }
        return try await query.first(decoding: CertificateRow.self, with: Self.decoder)?.record()
    }

    public func certificate(serialNumber: String) async throws -> CertificateRecord? {
        try await sql.select().column("*").from("certificates").where("serial_number", .equal, serialNumber.uppercased())
            .first(decoding: CertificateRow.self, with: Self.decoder)?.record()
    }

    public func certificate(thumbprint: String) async throws -> CertificateRecord? {
        try await sql.select().column("*").from("certificates").where("thumbprint", .equal, thumbprint.uppercased())
            .first(decoding: CertificateRow.self, with: Self.decoder)?.record()
    }

    public func certificates(ids: [Int]) async throws -> [Int: CertificateRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select().column("*").from("certificates").where("id", .in, Array(Set(ids)))
            .all(decoding: CertificateRow.self, with: Self.decoder)
        return Dictionary(uniqueKeysWithValues: try rows.map { row in (row.id ?? 0, try row.record()) })
    }

    public func certificates(orderID: Int) async throws -> [CertificateRecord] {
        try await sql.select().column("*").from("certificates").where("order_id", .equal, orderID).orderBy("id")
            .all(decoding: CertificateRow.self, with: Self.decoder).map { try $0.record() }
    }

    /// How many certificates of `role` each order has (orders with none are absent).
    public func certificateCounts(orderIDs: [Int], role: CertificateRole) async throws -> [Int: Int] {
        guard !orderIDs.isEmpty else { return [:] }
        struct CountRow: Decodable { var orderId: Int; var total: Int }
        let rows = try await sql.select().column("order_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total")
            .from("certificates").where("order_id", .in, orderIDs).where("role", .equal, role.rawValue)
            .groupBy("order_id").all(decoding: CountRow.self, with: Self.decoder)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.orderId, $0.total) })
    }

    /// Replaces the names of a certificate that is not issued yet, and the order's when it is the current one.
    public func setCertificateNames(id: Int, orderID: Int, _ names: CertificateNames, isCurrent: Bool, at date: Date) async throws {
        try await sql.update("certificates").set("names_json", to: try JSONColumn.encode(names)).set("common_name", to: names.commonName)
            .where("id", .equal, id).run()
        if isCurrent {
            try await sql.update("orders").set("names_json", to: try JSONColumn.encode(names)).set("common_name", to: names.commonName)
                .set("date_updated", to: date).where("id", .equal, orderID).run()
        }
    }

    /// Marks a certificate revoked.
    public func revokeCertificate(id: Int, _ revocation: Revocation) async throws {
        try await sql.update("certificates").set("status", to: CertificateStatus.revoked.rawValue)
            .set("revoked_at", to: revocation.date).set("revocation_reason", to: revocation.reason.rawValue)
            .where("id", .equal, id).run()
    }

    public func setCertificateStatus(id: Int, status: CertificateStatus) async throws {
        try await sql.update("certificates").set("status", to: status.rawValue).where("id", .equal, id).run()
    }

    /// Records what signing produced; the serial's unique index refuses a repeat.
    public func recordIssuance(certificateID: Int, _ issuance: CertificateRecord.Issuance, signatureHash: SignatureHash)
        async throws
    {
        try await sql.update("certificates")
            .set("status", to: CertificateStatus.issued.rawValue)
            .set("serial_number", to: issuance.serialNumber)
            .set("thumbprint", to: issuance.thumbprint)
            .set("pem", to: issuance.pem)
            .set("valid_from", to: issuance.validFrom)
            .set("valid_till", to: issuance.validTill)
            .set("date_issued", to: issuance.dateIssued)
            .set("issuer_id", to: issuance.issuerID)
            .set("signature_hash", to: signatureHash.rawValue)
            .where("id", .equal, certificateID)
            .run()
    }

    /// How many certificates carry each serial number more than once (always 0; checked by tests).
    public func repeatedSerialCount() async throws -> Int {
        let rows = try await sql.raw(
            "SELECT COUNT(*) AS repeats FROM (SELECT serial_number FROM certificates WHERE serial_number IS NOT NULL GROUP BY serial_number HAVING COUNT(*) > 1) AS repeated"
        ).all()
        return try rows.first?.decode(column: "repeats", as: Int.self) ?? 0
    }

    // MARK: requests

    /// Stores a request of an order in `containerID` (kept on the request so that lists filter without a join).
    public func insertRequest(_ request: ApprovalRequest, containerID: Int) async throws -> Int {
        try await insert(into: "requests", RequestRow(request, containerID: containerID))
    }

    public func request(id: Int, forUpdate: Bool = false) async throws -> ApprovalRequest? {
        var query = sql.select().column("*").from("requests").where("id", .equal, id)
        if forUpdate { query = query.lockingRows() }
        return try await query.first(decoding: RequestRow.self, with: Self.decoder)?.record()
    }

    public func requests(orderIDs: [Int]) async throws -> [Int: [ApprovalRequest]] {
        guard !orderIDs.isEmpty else { return [:] }
        let records = try await sql.select().column("*").from("requests").where("order_id", .in, Array(Set(orderIDs)))
            .orderBy("id").all(decoding: RequestRow.self, with: Self.decoder).map { try $0.record() }
        return Dictionary(grouping: records, by: \.orderID)
    }

    /// Rejects every pending request of an order (when the order is revoked or cancelled).
    public func rejectPendingRequests(orderID: Int, processorID: Int, comment: String, at date: Date) async throws {
        try await sql.update("requests").set("status", to: RequestStatus.rejected.rawValue)
            .set("processor_id", to: processorID).set("processor_comment", to: comment).set("date_processed", to: date)
            .where("order_id", .equal, orderID).where("status", .equal, RequestStatus.pending.rawValue).run()
    }

    /// Records an approver's decision.
    public func decideRequest(id: Int, status: RequestStatus, processorID: Int, comment: String?, at date: Date)
        async throws
    {
        var update = sql.update("requests").set("status", to: status.rawValue).set("processor_id", to: processorID)
            .set("date_processed", to: date)
        if let comment { update = update.set("processor_comment", to: comment) }
        try await update.where("id", .equal, id).run()
    }
}
