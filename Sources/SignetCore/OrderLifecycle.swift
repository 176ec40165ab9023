/// The order's life as one table: which status may follow which, and what each step must also do.
///
/// The registration authority is the only place that changes an order's status, and it does so by
/// asking ``transition(from:_:)`` and carrying out the returned effects in the same transaction.
/// The statuses are Signet's own words; each dialect renders them in its own vocabulary.
public enum OrderLifecycle {
    /// Something that happens to an order.
    public enum Step: Sendable, Equatable {
        /// An approver accepts the order's new request.
        case approve
        /// A certificate of the order was signed: a primary issues the order; a reissue becomes
        /// its current certificate; a duplicate leaves the order as it is.
        case issue(CertificateRole)
        /// A reissue was requested of an issued order.
        case requestReissue
        /// The pending reissue was cancelled or rejected; the order keeps its current certificate.
        case withdrawReissue
        /// The order ends before issuance: cancelled by its owner, or its request rejected.
        case withdraw(as: Withdrawal)
        /// The whole order is revoked, for `reason`.
        case revoke(RevocationReason)
    }

    /// How an order ends without a certificate.
    public enum Withdrawal: Sendable, Equatable {
        case canceled
        case rejected
    }

    /// What the registration authority must do along with a step, in the same transaction.
    public enum Effect: Sendable, Equatable {
        /// Certificates not yet issued become `canceled`.
        case cancelUnissuedCertificates
        /// Reissued certificates not yet issued become `canceled`.
        case cancelUnissuedReissues
        /// Requests still open are rejected.
        case rejectOpenRequests
        /// Issued certificates are revoked for the reason given and the CRLs of their issuers republished.
        case revokeIssuedCertificates(RevocationReason)
        /// Background domain checks of the order stop.
        case stopDomainChecks
        /// An order this one was renewing may be renewed again.
        case unlinkRenewal
        /// The dialect that placed the order hears of it.
        case notify(OrderEvent)
    }

    /// Why a step does not apply to an order in `status`.
    public struct Refusal: Error, Sendable, Equatable {
        public let status: OrderStatus
        public let step: Step
    }

    /// The status after `step` and what must accompany it; a ``Refusal`` when the step does not
    /// apply to `status` (the caller maps it to the dialect's error).
    public static func transition(from status: OrderStatus, _ step: Step) throws(Refusal) -> (OrderStatus, [Effect]) {
        switch (status, step) {
        case (.needsApproval, .approve):
            return (.pending, [])
        case (.pending, .issue(.primary)):
            return (.issued, [.notify(.issued)])
        case (.issued, .issue(.reissue)), (.reissuePending, .issue(.reissue)):
            return (.issued, [.notify(.issued)])
        case (.issued, .issue(.duplicate)), (.reissuePending, .issue(.duplicate)):
            return (status, [])
        case (.issued, .requestReissue):
            return (.reissuePending, [])
        case (.reissuePending, .withdrawReissue):
            return (.issued, [.cancelUnissuedReissues])
        case (.needsApproval, .withdraw(let how)), (.pending, .withdraw(let how)):
            let status: OrderStatus = how == .canceled ? .canceled : .rejected
            return (status, [.cancelUnissuedCertificates, .rejectOpenRequests, .stopDomainChecks, .unlinkRenewal])
        case (.issued, .revoke(let reason)), (.reissuePending, .revoke(let reason)):
            return (
                .revoked,
                [.revokeIssuedCertificates(reason), .cancelUnissuedCertificates, .rejectOpenRequests, .notify(.revoked)]
            )
        default:
            throw Refusal(status: status, step: step)
        }
    }

    /// The status of a new order: waiting for approval, or approved at once.
    public static func opened(approved: Bool) -> OrderStatus { approved ? .pending : .needsApproval }
}

/// A change of an order that dialects may announce (the reseller's `notify_url`).
public enum OrderEvent: String, Sendable {
    case issued = "certificate.issued"
    case dcvUpdated = "dcv.updated"
    case revoked = "certificate.revoked"
    case refunded
}

/// A certificate's life on its order: requested, approved, issued, revoked; or ended unissued.
public enum CertificateLifecycle {
    public enum Step: Sendable, Equatable {
        case approve
        case reject
        case cancel
        case issue
        case revoke
    }

    public struct Refusal: Error, Sendable, Equatable {
        public let status: CertificateStatus
        public let step: Step
    }

    /// The status of a new certificate request.
    public static func requested(approved: Bool) -> CertificateStatus { approved ? .approved : .pending }

    public static func transition(from status: CertificateStatus, _ step: Step) throws(Refusal) -> CertificateStatus {
        switch (status, step) {
        case (.pending, .approve): return .approved
        case (.pending, .reject): return .rejected
        case (.pending, .cancel), (.approved, .cancel): return .canceled
        case (.approved, .issue): return .issued
        case (.issued, .revoke): return .revoked
        default: throw Refusal(status: status, step: step)
        }
    }

    /// Whether the certificate may still be issued (and so can be cancelled).
    public static func isUnissued(_ status: CertificateStatus) -> Bool { status == .pending || status == .approved }
}
