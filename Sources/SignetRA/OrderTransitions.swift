import Foundation
import SignetCore
import SignetStore

extension RegistrationAuthority {
    /// Moves `order` by `step` in the caller's transaction: asks ``OrderLifecycle`` for the next
    /// status, stores it, and carries out the effects. The only way an order's status changes.
    ///
    /// - Parameters:
    ///   - processorID: who decided, for requests this step rejects (the order's user when nil).
    ///   - comment: why, for the requests it rejects.
    public func move(
        _ order: inout Order, _ step: OrderLifecycle.Step, processorID: Int? = nil, comment: String = "",
        connection: WriteSession, now: Date
    ) throws {
        let next: OrderStatus
        let effects: [OrderLifecycle.Effect]
        do {
            (next, effects) = try OrderLifecycle.transition(from: order.status, step)
        } catch {
            throw WorkflowError.invalidOrderStatus(id: order.id, status: error.status, action: Self.describe(step))
        }
        let before = order.status
        order.status = next
        if next != before {
            try connection.setOrderStatus(orderID: order.id, status: next, at: now)
            order.dateUpdated = now
        }
        try perform(effects, for: order, processorID: processorID, comment: comment, connection: connection, now: now)
    }

    /// Carries out what a step of the lifecycle requires besides the status.
    func perform(
        _ effects: [OrderLifecycle.Effect], for order: Order, processorID: Int?, comment: String, connection: WriteSession,
        now: Date
    ) throws {
        guard !effects.isEmpty else { return }
        for effect in effects {
            switch effect {
            case .cancelUnissuedCertificates, .cancelUnissuedReissues:
                for certificate in try connection.certificates(orderID: order.id)
                where CertificateLifecycle.isUnissued(certificate.status)
                    && (effect == .cancelUnissuedCertificates || certificate.role == .reissue)
                {
                    try connection.setCertificateStatus(id: certificate.id, status: .canceled)
                }
            case .revokeIssuedCertificates(let reason):
                let revocation = Revocation(date: now, reason: reason)
                // Each issuer's CRL follows when it is next read, signed outside this transaction.
                for certificate in try connection.certificates(orderID: order.id) where certificate.status == .issued {
                    try connection.revokeCertificate(id: certificate.id, revocation)
                }
            case .rejectOpenRequests:
                try connection.rejectPendingRequests(
                    orderID: order.id, processorID: processorID ?? order.userID, comment: comment, at: now)
            case .stopDomainChecks:
                try connection.setOrderDCV(orderID: order.id, order.dcv, nextCheck: nil)
            case .unlinkRenewal:
                if order.options.renewalOfOrderID != nil { try connection.unlinkRenewal(renewalID: order.id, at: now) }
            case .notify(let event):
                try events.emit(event, order: order, connection: connection, at: now)
            }
        }
    }

    /// The verb of an error message: "order 7 is issued and cannot be approved".
    static func describe(_ step: OrderLifecycle.Step) -> String {
        switch step {
        case .approve: return "approved"
        case .issue: return "issued"
        case .requestReissue: return "reissued"
        case .withdrawReissue: return "returned to issued"
        case .withdraw(.canceled): return "canceled"
        case .withdraw(.rejected): return "rejected"
        case .revoke: return "revoked"
        }
    }
}
