import Foundation
import SignetCore
import SignetPKI
import SignetStore

extension RegistrationAuthority {
    /// What still stands between approved `names` of `order` and their certificate; empty when it can be issued.
    public func blockers(names: CertificateNames, order: Order, connection: StoreConnection, at now: Date) async throws
        -> [String]
    {
        guard dcvMode == .checked, let product = order.product else { return [] }
        var blockers: [String] = []
        let dnsNames = product.isTLS
            ? names.subjectAlternativeDNSNames(isTLS: true)
            : names.emails.compactMap { EmailAddress($0)?.domain.value }
        let domains = try await connection.validDomains(covering: dnsNames, at: now)
        for name in dnsNames {
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

    /// Issues an approved certificate of `order` inside the caller's transaction when nothing blocks it.
    ///
    /// A primary certificate makes the order `issued`. A reissue becomes the order's current
    /// certificate; when it drops names the previous one covered, the previous one is revoked as
    /// `superseded` (seed 004's rule; docs/lifecycle.md). A duplicate changes nothing on the order.
    func issueIfReady(
        _ order: Order, _ certificate: CertificateRecord, csr inspected: InspectedCSR?, connection: StoreConnection,
        now: Date
    ) async throws -> (Order, CertificateRecord) {
        guard certificate.status == .approved, let product = order.product,
            [.pending, .issued, .reissuePending].contains(order.status),
            try await blockers(names: certificate.names, order: order, connection: connection, at: now).isEmpty
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
        var order = order
        var certificate = certificate
        certificate.status = .issued
        certificate.signatureHash = signed.signatureHash
        certificate.issuance = issuance
        switch certificate.role {
        case .primary:
            try await connection.setOrderStatus(orderID: order.id, status: .issued, at: now)
            order.status = .issued
        case .reissue:
            let previous = try await connection.certificate(id: order.certificateID)
            try await connection.setOrderCurrentCertificate(orderID: order.id, certificate: certificate, at: now)
            try await connection.setOrderStatus(orderID: order.id, status: .issued, at: now)
            order.status = .issued
            order.certificateID = certificate.id
            order.names = certificate.names
            if let previous, previous.status == .issued,
                Self.dropsNames(previous.names, replacedBy: certificate.names, isTLS: product.isTLS)
            {
                try await connection.revokeCertificate(id: previous.id, Revocation(date: now, reason: .superseded))
                try await revocations.publish(connection: connection, now: now)
            }
        case .duplicate:
            break
        }
        order.dateUpdated = now
        return (order, certificate)
    }

    /// Whether a reissue leaves out a name that the certificate it replaces covered.
    static func dropsNames(_ old: CertificateNames, replacedBy new: CertificateNames, isTLS: Bool) -> Bool {
        let kept = Set(new.subjectAlternativeDNSNames(isTLS: isTLS) + new.emails.map { $0.lowercased() })
        return !(old.subjectAlternativeDNSNames(isTLS: isTLS) + old.emails.map { $0.lowercased() }).allSatisfy(kept.contains)
    }

    /// Issues an approved certificate whose validation is complete. Returns whether it issued.
    @discardableResult
    public func advance(certificateID: Int) async throws -> Bool {
        let now = clock.now()
        let ready = try await store.read { connection in
            guard let certificate = try await connection.certificate(id: certificateID), certificate.status == .approved,
                let order = try await connection.order(id: certificate.orderID)
            else { return false }
            return try await blockers(names: certificate.names, order: order, connection: connection, at: now).isEmpty
        }
        guard ready else { return false }
        return try await retryingUniqueViolations {
            try await store.write { connection in
                guard let certificate = try await connection.certificate(id: certificateID),
                    let order = try await connection.order(id: certificate.orderID)
                else { return false }
                let (_, result) = try await issueIfReady(order, certificate, csr: nil, connection: connection, now: now)
                return result.status == .issued
            }
        }
    }

    /// One background pass: tries every approved certificate. Returns how many issued.
    public func advanceApprovedCertificates(limit: Int = 500) async throws -> Int {
        let ids = try await store.read { try await $0.certificateIDs(status: .approved, limit: limit) }
        var issued = 0
        for id in ids where try await advance(certificateID: id) { issued += 1 }
        if issued > 0 { revocations.statusChanged() }
        return issued
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
