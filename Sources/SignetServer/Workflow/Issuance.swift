import Foundation
import SignetCore
import SignetPKI
import SignetStore

extension RegistrationAuthority {
    /// What still stands between an approved order and its certificate; empty when it can be issued.
    public func blockers(for order: Order, connection: StoreConnection, at now: Date) async throws -> [String] {
        guard dcvMode == .checked, let product = order.product else { return [] }
        var blockers: [String] = []
        let names = product.isTLS
            ? order.names.subjectAlternativeDNSNames(isTLS: true)
            : order.names.emails.compactMap { EmailAddress($0)?.domain.value }
        let domains = try await connection.validDomains(covering: names, at: now)
        for name in names {
            let dnsName = try? DNSName(name)
            if !domains.contains(where: { dnsName?.isCovered(byValidatedDomain: $0.name) ?? false }) {
                blockers.append("domain \(name) is not validated")
            }
        }
        let level = product.validationLevel
        if level.needsOrganization {
            if let id = order.organizationID, let organization = try await connection.organization(id: id) {
                if !organization.isValidated(for: level, at: now) {
                    blockers.append("organization \(id) is not validated for \(level.rawValue)")
                }
            } else {
                blockers.append("the order has no organization")
            }
        }
        return blockers
    }

    /// Issues the order's pending certificate inside the caller's transaction when nothing blocks it.
    func issueIfReady(
        _ order: Order, _ certificate: CertificateRecord, csr inspected: InspectedCSR?, connection: StoreConnection,
        now: Date
    ) async throws -> (Order, CertificateRecord) {
        guard let product = order.product,
            try await blockers(for: order, connection: connection, at: now).isEmpty
        else { return (order, certificate) }
        let csr: InspectedCSR
        if let inspected {
            csr = inspected
        } else {
            do {
                csr = try CSRInspector.inspect(certificate.csr)
            } catch {
                throw WorkflowError.invalidCSR(error)
            }
        }
        let organization = try await order.organizationID.asyncMap { try await connection.organization(id: $0) } ?? nil
        let request = LeafRequest(
            publicKey: csr.publicKey, key: csr.key, product: product, names: certificate.names,
            organization: organization?.details, organizationUnits: order.organizationUnits,
            signatureHash: certificate.signatureHash, profileOption: order.profileOption, notBefore: now,
            notAfter: order.certificateEnd(issuedAt: now, product: product, policy: policy))
        let signed = try authority.issue(request)
        let issuance = CertificateRecord.Issuance(
            serialNumber: signed.serialNumber, thumbprint: signed.thumbprint, pem: signed.pem, validFrom: request.notBefore,
            validTill: request.notAfter, dateIssued: now, issuerID: signed.issuerID)
        try await connection.recordIssuance(certificateID: certificate.id, issuance, signatureHash: signed.signatureHash)
        try await connection.setOrderStatus(orderID: order.id, status: .issued, at: now)
        var order = order
        var certificate = certificate
        order.status = .issued
        order.dateUpdated = now
        certificate.status = .issued
        certificate.signatureHash = signed.signatureHash
        certificate.issuance = issuance
        return (order, certificate)
    }

    /// Issues a pending order whose approval and validation are complete. Returns whether it issued.
    @discardableResult
    public func advance(orderID: Int) async throws -> Bool {
        let now = clock.now()
        let ready = try await store.read { connection in
            guard let order = try await connection.order(id: orderID), order.status == .pending else { return false }
            return try await blockers(for: order, connection: connection, at: now).isEmpty
        }
        guard ready else { return false }
        return try await retryingUniqueViolations {
            try await store.write { connection in
                guard let order = try await connection.order(id: orderID), order.status == .pending,
                    let certificate = try await connection.certificate(id: order.certificateID),
                    certificate.status == .pending || certificate.status == .approved
                else { return false }
                let (issued, _) = try await issueIfReady(order, certificate, csr: nil, connection: connection, now: now)
                return issued.status == .issued
            }
        }
    }

    /// One background pass: tries every pending order. Returns how many issued.
    public func advancePendingOrders(limit: Int = 500) async throws -> Int {
        let ids = try await store.read { try await $0.orderIDs(status: .pending, limit: limit) }
        var issued = 0
        for id in ids where try await advance(orderID: id) { issued += 1 }
        return issued
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
