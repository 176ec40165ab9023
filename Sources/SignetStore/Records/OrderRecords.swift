import Foundation
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
    /// The order-wide part of domain validation (``OrderDCV``); its names are rows of `authorizations`.
    var dcvRandomValue: String?
    var dcvExpires: Date?
    var dcvAttempts: Int
    var caaMessagesJson: String?
    var dcvNextCheck: Date?
    /// The order this one renews (from `options.renewalOfOrderID`, cleared if the renewal is
    /// rejected); a unique index lets an order be renewed only once.
    var renewalOfOrderId: Int?
    var renewedOrderId: Int?
    /// When the background renewal pass next takes the order (its lease while it runs).
    var autoRenewalDue: Date?
    var origin: String

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
        certificateId = order.certificateID
        dateCreated = order.dateCreated
        dateUpdated = order.dateUpdated
        dcvRandomValue = order.dcv?.randomValue
        dcvExpires = order.dcv?.expires
        dcvAttempts = order.dcv?.attempts ?? 0
        caaMessagesJson = try order.dcv.map { try JSONColumn.encode($0.caaMessages) }
        self.dcvNextCheck = dcvNextCheck
        renewalOfOrderId = order.options.renewalOfOrderID
        renewedOrderId = order.renewedOrderID
        autoRenewalDue = RenewalRules.autoRenewalDate(of: order)
        origin = order.origin.rawValue
    }

    /// The order, with the domain validation state of `authorizations` (this order's rows).
    func record(authorizations: [AuthorizationRow]) throws -> Order {
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
            options: try JSONColumn.decode(OrderOptions.self, from: optionsJson), certificateID: certificateId,
            dateCreated: dateCreated, dateUpdated: dateUpdated,
            dcv: try dcv(authorizations), renewedOrderID: renewedOrderId,
            origin: OrderOrigin(rawValue: origin))
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
            revocation = Revocation(
                date: revokedAt, reason: revocationReason.flatMap(RevocationReason.init(rawValue:)) ?? .unspecified)
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

extension StoreSession {
    // MARK: orders

    /// The order; with `forUpdate`, locked until the transaction ends (another instance waits).
    public func order(id: Int, forUpdate: Bool = false) throws -> Order? {
        guard let row = try first(OrderRow.self, "SELECT * FROM orders WHERE id = ?\(forUpdate ? self.forUpdate : "")", [id])
        else { return nil }
        return try orders(from: [row]).first
    }

    /// Orders from their rows, each with its authorizations (read in one statement).
    func orders(from rows: [OrderRow]) throws -> [Order] {
        let withDCV = rows.compactMap { $0.dcvRandomValue == nil ? nil : $0.id }
        let authorizations = try authorizationRows(orderIDs: withDCV)
        return try rows.map { try $0.record(authorizations: authorizations[$0.id ?? 0] ?? []) }
    }

    /// The order a container placed under a client idempotency key, with the fingerprint of its
    /// request. Keys are the container's own: another container's use of the same key is invisible.
    public func order(alternativeOrderID: String, containerID: Int) throws -> (order: Order, fingerprint: String?)? {
        guard
            let row = try first(
                OrderRow.self, "SELECT * FROM orders WHERE alternative_order_id = ? AND container_id = ?",
                [alternativeOrderID, containerID])
        else { return nil }
        return (try orders(from: [row])[0], row.requestFingerprint)
    }

    /// The orders placed under a client idempotency key in any of `containerIDs` (all when `nil`), by id.
    public func orders(alternativeOrderID: String, containerIDs: Set<Int>?) throws -> [Order] {
        var sql = "SELECT * FROM orders WHERE alternative_order_id = ?"
        var values: [any SQLBindable] = [alternativeOrderID]
        if let containerIDs {
            sql += " AND container_id IN \(Self.list(containerIDs.count))"
            values = Self.binds(values, Array(containerIDs))
        }
        return try orders(from: try all(OrderRow.self, sql + " ORDER BY id", values))
    }

    /// Ids of certificates in `status`, oldest first.
    public func certificateIDs(status: CertificateStatus, limit: Int) throws -> [Int] {
        try rows("SELECT id FROM certificates WHERE status = ? ORDER BY id LIMIT ?", [status.rawValue, limit]).map {
            try $0.int("id")
        }
    }

    // MARK: certificates

    /// The certificate; with `forUpdate`, locked until the transaction ends, so that two instances
    /// never both sign it.
    public func certificate(id: Int, forUpdate: Bool = false) throws -> CertificateRecord? {
        try first(CertificateRow.self, "SELECT * FROM certificates WHERE id = ?\(forUpdate ? self.forUpdate : "")", [id])?
            .record()
    }

    /// The order's current certificate; `nil` while the order waits for its CSR.
    public func currentCertificate(of order: Order, forUpdate: Bool = false) throws -> CertificateRecord? {
        guard let id = order.certificateID else { return nil }
        return try certificate(id: id, forUpdate: forUpdate)
    }

    /// The certificate a client names: by id (a number of fewer than 16 digits), by serial number
    /// (hex), or by the SHA-1 thumbprint of its DER (40 hex digits). The one lookup every dialect
    /// uses, so that they all read a reference alike.
    public func certificate(matching reference: String) throws -> CertificateRecord? {
        if let id = Int(reference), id > 0, reference.count < 16 { return try certificate(id: id) }
        let hex = reference.uppercased()
        guard !hex.isEmpty, hex.count <= 64, hex.allSatisfy(\.isHexDigit) else { return nil }
        if let bySerial = try certificate(serialNumber: hex) { return bySerial }
        return hex.count == 40 ? try certificate(thumbprint: hex) : nil
    }

    public func certificate(serialNumber: String) throws -> CertificateRecord? {
        try first(CertificateRow.self, "SELECT * FROM certificates WHERE serial_number = ?", [serialNumber.uppercased()])?
            .record()
    }

    public func certificate(thumbprint: String) throws -> CertificateRecord? {
        try first(CertificateRow.self, "SELECT * FROM certificates WHERE thumbprint = ?", [thumbprint.uppercased()])?.record()
    }

    public func certificates(ids: [Int]) throws -> [Int: CertificateRecord] {
        let ids = Array(Set(ids))
        guard !ids.isEmpty else { return [:] }
        let rows = try all(CertificateRow.self, "SELECT * FROM certificates WHERE id IN \(Self.list(ids.count))", ids)
        return Dictionary(uniqueKeysWithValues: try rows.map { row in (row.id ?? 0, try row.record()) })
    }

    public func certificates(orderID: Int) throws -> [CertificateRecord] {
        try all(CertificateRow.self, "SELECT * FROM certificates WHERE order_id = ? ORDER BY id", [orderID]).map {
            try $0.record()
        }
    }

    /// How many certificates of each role the order has (roles with none are absent).
    public func certificateCounts(orderID: Int) throws -> [CertificateRole: Int] {
        let rows = try rows("SELECT role, COUNT(*) AS total FROM certificates WHERE order_id = ? GROUP BY role", [orderID])
        var counts: [CertificateRole: Int] = [:]
        for row in rows {
            guard let role = CertificateRole(rawValue: try row.string("role")) else { continue }
            counts[role] = try row.int("total")
        }
        return counts
    }

    /// How many certificates carry each serial number more than once (always 0; checked by tests).
    public func repeatedSerialCount() throws -> Int {
        try count(
            "SELECT COUNT(*) AS repeats FROM (SELECT serial_number FROM certificates WHERE serial_number IS NOT NULL GROUP BY serial_number HAVING COUNT(*) > 1) AS repeated"
        )
    }

    // MARK: requests

    public func request(id: Int, forUpdate: Bool = false) throws -> ApprovalRequest? {
        try first(RequestRow.self, "SELECT * FROM requests WHERE id = ?\(forUpdate ? self.forUpdate : "")", [id])?.record()
    }

    public func requests(orderIDs: [Int]) throws -> [Int: [ApprovalRequest]] {
        let ids = Array(Set(orderIDs))
        guard !ids.isEmpty else { return [:] }
        let records = try all(
            RequestRow.self, "SELECT * FROM requests WHERE order_id IN \(Self.list(ids.count)) ORDER BY id", ids
        )
        .map { try $0.record() }
        return Dictionary(grouping: records, by: \.orderID)
    }
}

extension StoreSession where Access == ReadWrite {
    /// Stores a new order and returns its id. `fingerprint` identifies the request body behind an
    /// idempotency key; `dcvNextCheck` schedules the first background DCV check.
    public func insertOrder(_ order: Order, fingerprint: String?, dcvNextCheck: Date? = nil) throws -> Int {
        let id = try insert(into: "orders", try OrderRow(order, fingerprint: fingerprint, dcvNextCheck: dcvNextCheck))
        if let dcv = order.dcv { try saveAuthorizations(orderID: id, containerID: order.containerID, dcv.names) }
        return id
    }

    /// Replaces an order's DCV state and schedules (or, with `nil`, stops) its background checks.
    public func setOrderDCV(orderID: Int, _ dcv: OrderDCV?, nextCheck: Date?) throws {
        try execute(
            "UPDATE orders SET dcv_random_value = ?, dcv_expires = ?, dcv_attempts = ?, caa_messages_json = ?, dcv_next_check = ? "
                + "WHERE id = ?",
            [
                dcv?.randomValue, dcv?.expires, dcv?.attempts ?? 0, try dcv.map { try JSONColumn.encode($0.caaMessages) },
                nextCheck, orderID,
            ])
        try saveAuthorizations(orderID: orderID, containerID: nil, dcv?.names ?? [:])
    }

    /// Replaces an order's options (e.g. after a change of DCV method).
    public func setOrderOptions(orderID: Int, _ options: OrderOptions) throws {
        try execute("UPDATE orders SET options_json = ? WHERE id = ?", [try JSONColumn.encode(options), orderID])
    }

    /// Leases the orders whose DCV check is due to the caller until `leaseUntil` (their check then
    /// sets the real next time): other instances skip them meanwhile.
    public func leaseOrdersDueForDCV(at date: Date, leaseUntil: Date, limit: Int) throws -> [Int] {
        let statuses = [OrderStatus.needsApproval, .pending, .reissuePending, .issued].map(\.rawValue)
        let ids = try rows(
            "SELECT id FROM orders WHERE dcv_next_check <= ? AND status IN \(Self.list(statuses.count)) ORDER BY dcv_next_check LIMIT ?\(forUpdateSkipLocked)",
            Self.binds([date], statuses, [limit])
        ).map { try $0.int("id") }
        if !ids.isEmpty {
            try execute("UPDATE orders SET dcv_next_check = ? WHERE id IN \(Self.list(ids.count))", Self.binds([leaseUntil], ids))
        }
        return ids
    }

    /// Points a new order at its certificate, with the status that certificate gave it.
    public func setOrderCertificate(orderID: Int, certificateID: Int, status: OrderStatus, at date: Date) throws {
        try execute(
            "UPDATE orders SET certificate_id = ?, status = ?, date_updated = ? WHERE id = ?",
            [certificateID, status.rawValue, date, orderID])
    }

    public func setOrderStatus(orderID: Int, status: OrderStatus, at date: Date) throws {
        try execute("UPDATE orders SET status = ?, date_updated = ? WHERE id = ?", [status.rawValue, date, orderID])
    }

    /// Makes `certificate` the order's current one, with its names, after a reissue.
    public func setOrderCurrentCertificate(orderID: Int, certificate: CertificateRecord, at date: Date) throws {
        try execute(
            "UPDATE orders SET certificate_id = ?, common_name = ?, names_json = ?, date_updated = ? WHERE id = ?",
            [certificate.id, certificate.names.commonName, try JSONColumn.encode(certificate.names), date, orderID])
    }

    public func insertCertificate(_ record: CertificateRecord) throws -> Int {
        try insert(into: "certificates", try CertificateRow(record))
    }

    /// Replaces the names of a certificate that is not issued yet, and the order's when it is the current one.
    public func setCertificateNames(id: Int, orderID: Int, _ names: CertificateNames, isCurrent: Bool, at date: Date) throws {
        let json = try JSONColumn.encode(names)
        try execute("UPDATE certificates SET names_json = ?, common_name = ? WHERE id = ?", [json, names.commonName, id])
        if isCurrent {
            try execute(
                "UPDATE orders SET names_json = ?, common_name = ?, date_updated = ? WHERE id = ?",
                [json, names.commonName, date, orderID])
        }
    }

    /// Marks a certificate revoked.
    public func revokeCertificate(id: Int, _ revocation: Revocation) throws {
        try execute(
            "UPDATE certificates SET status = ?, revoked_at = ?, revocation_reason = ? WHERE id = ?",
            [CertificateStatus.revoked.rawValue, revocation.date, revocation.reason.rawValue, id])
    }

    public func setCertificateStatus(id: Int, status: CertificateStatus) throws {
        try execute("UPDATE certificates SET status = ? WHERE id = ?", [status.rawValue, id])
    }

    /// Records what signing produced; the serial's unique index refuses a repeat.
    public func recordIssuance(certificateID: Int, _ issuance: CertificateRecord.Issuance, signatureHash: SignatureHash) throws {
        try execute(
            """
            UPDATE certificates SET status = ?, serial_number = ?, thumbprint = ?, pem = ?, valid_from = ?, valid_till = ?,
            date_issued = ?, issuer_id = ?, signature_hash = ? WHERE id = ?
            """,
            [
                CertificateStatus.issued.rawValue, issuance.serialNumber, issuance.thumbprint, issuance.pem, issuance.validFrom,
                issuance.validTill, issuance.dateIssued, issuance.issuerID, signatureHash.rawValue, certificateID,
            ])
    }

    /// Stores a request of an order in `containerID` (kept on the request so that lists filter without a join).
    public func insertRequest(_ request: ApprovalRequest, containerID: Int) throws -> Int {
        try insert(into: "requests", RequestRow(request, containerID: containerID))
    }

    /// Names the certificate a request is about, once an order opened without its CSR is finalized.
    public func setRequestCertificate(requestID: Int, certificateID: Int) throws {
        try execute("UPDATE requests SET certificate_id = ? WHERE id = ?", [certificateID, requestID])
    }

    /// Rejects every pending request of an order (when the order is revoked or cancelled).
    public func rejectPendingRequests(orderID: Int, processorID: Int, comment: String, at date: Date) throws {
        try execute(
            "UPDATE requests SET status = ?, processor_id = ?, processor_comment = ?, date_processed = ? WHERE order_id = ? AND status = ?",
            [RequestStatus.rejected.rawValue, processorID, comment, date, orderID, RequestStatus.pending.rawValue])
    }

    /// Records an approver's decision.
    public func decideRequest(id: Int, status: RequestStatus, processorID: Int, comment: String?, at date: Date) throws {
        try execute(
            "UPDATE requests SET status = ?, processor_id = ?, date_processed = ?, processor_comment = COALESCE(?, processor_comment) WHERE id = ?",
            [status.rawValue, processorID, date, comment, id])
    }
}
