import Foundation
import Logging
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation

/// A certificate whose serial is reserved and whose to-be-signed form is built and linted, waiting
/// for its signature. The transaction that reserved it has committed before anything signs it.
public struct PendingSignature: Sendable {
    public let orderID: Int
    public let certificateID: Int
    let prepared: PreparedCertificate
    let notBefore: Date
    let notAfter: Date

    public var serialNumber: String { prepared.tbs.serialNumber.hex }
}

/// A leaf built and linted from a request, not yet reserved or signed.
public struct LintedLeaf: Sendable {
    let request: LeafRequest
    let prepared: PreparedCertificate
}

/// Issuance in Boulder's order: inside a write transaction, check what blocks the certificate,
/// build and lint what will be signed and reserve its serial; after that transaction commits, sign
/// (no transaction is open while a key works, however slow the key); then record the certificate in
/// a second transaction. A serial is reserved once and never reused, so nothing is signed twice
/// under one serial; a reservation whose signer went away (a crash between the steps) is abandoned
/// after ``RegistrationAuthority/signingLease`` and the certificate is signed again with a new serial.
extension RegistrationAuthority {
    /// Reserves the signature of an approved certificate of `order` when nothing blocks it, in the
    /// caller's transaction; `nil` when something blocks it or a live reservation exists.
    ///
    /// - Parameter organization: the order's organization when the caller has just read it.
    public func reserveIfReady(
        _ order: Order, _ certificate: CertificateRecord, csr inspected: InspectedCSR?, caaCleared: Bool,
        organization known: Organization? = nil, connection: WriteSession, now: Date
    ) throws -> PendingSignature? {
        guard try isReady(order, certificate, caaCleared: caaCleared, connection: connection, now: now) else { return nil }
        if let reserved = try connection.pendingSerial(certificateID: certificate.id) {
            guard reserved.reservedAt < now.addingTimeInterval(-signingLease) else { return nil }
            try connection.setSerialState(reserved.serialNumber, .abandoned)
        }
        return try reserve(order, certificate, csr: inspected, organization: known, connection: connection, now: now)
    }

    /// Whether nothing keeps an approved certificate of `order` from being signed now.
    func isReady(
        _ order: Order, _ certificate: CertificateRecord, caaCleared: Bool, connection: WriteSession, now: Date
    ) throws
        -> Bool
    {
        guard certificate.status == .approved, caaCleared, order.product != nil,
            [.pending, .issued, .reissuePending].contains(order.status), pace.permits(certificate, orderID: order.id, now: now)
        else { return false }
        return try blockers(names: certificate.names, order: order, connection: connection, at: now).isEmpty
    }

    /// Builds and lints what will be signed for a certificate that has no live reservation, and
    /// reserves its serial.
    ///
    /// - Parameter linted: the same leaf, built and linted before the transaction; used when the
    ///   request is unchanged, so the writer does not build and lint it a second time.
    func reserve(
        _ order: Order, _ certificate: CertificateRecord, csr inspected: InspectedCSR?, organization known: Organization?,
        linted: LintedLeaf? = nil, connection: WriteSession, now: Date
    ) throws -> PendingSignature {
        guard let product = order.product else { throw WorkflowError.orderNotFound(String(order.id)) }
        let csr = try inspected ?? Self.inspect(certificate.csr)
        var organization = known
        if organization?.id != order.organizationID {
            organization = try order.organizationID.map { try connection.organization(id: $0) } ?? nil
        }
        // The container is read only for names a public policy would refuse.
        let namePolicy = try NamePolicy.needed(for: certificate.names, isTLS: product.isTLS) {
            try connection.container(id: order.containerID)?.namePolicy ?? .public
        }
        let request = leafRequest(
            product: product, names: certificate.names, csr: csr, organization: organization?.details,
            organizationUnits: order.organizationUnits, hash: certificate.signatureHash, profileOption: order.profileOption,
            orderValidTill: order.orderValidTill, certificateValidTill: order.certificateValidTill, namePolicy: namePolicy,
            now: now)
        let prepared: PreparedCertificate
        if let linted, linted.request == request {
            prepared = linted.prepared
        } else {
            prepared = try authority.prepare(request, now: now)
        }
        let pending = PendingSignature(
            orderID: order.id, certificateID: certificate.id, prepared: prepared, notBefore: request.notBefore,
            notAfter: request.notAfter)
        try connection.reserveSerial(pending.serialNumber, certificateID: certificate.id, issuerID: prepared.issuer.id, at: now)
        return pending
    }

    /// Signs a reserved certificate, outside any transaction, and records it. Returns the order
    /// and certificate as recorded, or `nil` when the reservation was abandoned meanwhile (another
    /// signer took over after the lease; its certificate is the one recorded).
    @discardableResult
    public func complete(_ pending: PendingSignature) async throws -> (Order, CertificateRecord)? {
        let started = DispatchTime.now().uptimeNanoseconds
        let signed = try authority.signNow(pending.prepared)
        let signing = DispatchTime.now().uptimeNanoseconds &- started
        let now = clock.now()
        let recorded = try await store.write { connection in
            try self.record(pending, signed, connection: connection, now: now)
        }
        if let (_, certificate) = recorded {
            SignetMetrics.certificateSigned(role: certificate.role.rawValue, nanoseconds: signing)
        }
        return recorded
    }

    /// ``complete(_:)`` after the reserving transaction answered a client: the order and its
    /// charge are committed, so a failure to sign or record now must not turn into an error for
    /// the client (who would order again). The reservation stays; after the signing lease the
    /// background pass signs the certificate. `nil` when it was not recorded now.
    func completeOrLeave(_ pending: PendingSignature) async -> (Order, CertificateRecord)? {
        do {
            return try await complete(pending)
        } catch {
            Self.signingLog.warning(
                "certificate \(pending.certificateID) of order \(pending.orderID) was not signed now; the background pass takes it over: \(error)"
            )
            return nil
        }
    }

    static let signingLog = Logger(label: "signet.signing")

    /// Records a signed certificate in the caller's transaction and moves its order on: a primary
    /// issues the order; a reissue becomes its current certificate, and when it drops names the
    /// previous one covered, the previous one is revoked as `superseded` (seed 004's rule;
    /// docs/lifecycle.md); a duplicate changes nothing on the order.
    func record(
        _ pending: PendingSignature, _ signed: SignedCertificate, connection: WriteSession, now: Date
    ) throws
        -> (Order, CertificateRecord)?
    {
        guard var certificate = try connection.certificate(id: pending.certificateID, forUpdate: true),
            var order = try connection.order(id: pending.orderID, forUpdate: true), let product = order.product,
            try connection.claimReservedSerial(pending.serialNumber, certificateID: certificate.id)
        else { return nil }
        certificate.status = try CertificateLifecycle.transition(from: certificate.status, .issue)
        certificate.signatureHash = signed.signatureHash
        let issuance = CertificateRecord.Issuance(
            serialNumber: signed.serialNumber, thumbprint: signed.thumbprint, pem: signed.pem, validFrom: pending.notBefore,
            validTill: pending.notAfter, dateIssued: now, issuerID: signed.issuerID)
        certificate.issuance = issuance
        try connection.recordIssuance(certificateID: certificate.id, issuance, signatureHash: signed.signatureHash)
        if certificate.role == .reissue {
            let previous = try connection.currentCertificate(of: order)
            try connection.setOrderCurrentCertificate(orderID: order.id, certificate: certificate, at: now)
            order.certificateID = certificate.id
            order.names = certificate.names
            if let previous, previous.status == .issued,
                Self.dropsNames(previous.names, replacedBy: certificate.names, isTLS: product.isTLS)
            {
                // The CRL follows when it is next read (RevocationPublisher.currentCRL), signed outside this transaction.
                try connection.revokeCertificate(id: previous.id, Revocation(date: now, reason: .superseded))
            }
        }
        try move(&order, .issue(certificate.role), connection: connection, now: now)
        return (order, certificate)
    }
}
