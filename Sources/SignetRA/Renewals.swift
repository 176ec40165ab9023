import Foundation
import SignetCore
import SignetStore

/// What one pass of automatic renewals did, for the server's log.
public struct RenewalPass: Sendable {
    public struct Renewal: Sendable {
        public let orderID: Int
        public let renewalID: Int
    }

    public struct Failure: Sendable {
        public let orderID: Int
        public let reason: String
        /// When it is tried again; `nil` once the order has ended.
        public let nextAttempt: Date?
    }

    public var renewed: [Renewal] = []
    public var failed: [Failure] = []
}

extension RegistrationAuthority {
    /// How long an instance holds the renewal of an order: long enough to place it, short enough
    /// that another instance takes over soon after one dies mid-renewal.
    public static let renewalLease: TimeInterval = 600

    /// Places the renewal of every issued order whose automatic renewal is due. Several
    /// instances share the work: each leases its orders (`SKIP LOCKED`), and the unique
    /// `renewal_of_order_id` keeps an order from being renewed twice even after a lease ran out.
    public func renewDueOrders(limit: Int = 20) async throws -> RenewalPass {
        let now = clock.now()
        let due = try await store.write {
            try $0.leaseOrdersDueForRenewal(at: now, leaseUntil: now.addingTimeInterval(Self.renewalLease), limit: limit)
        }
        var pass = RenewalPass()
        for (orderID, orderValidTill) in due {
            do {
                let placed = try await renewAutomatically(orderID: orderID)
                pass.renewed.append(.init(orderID: orderID, renewalID: placed.order.id))
            } catch WorkflowError.orderRenewedAlready {
                continue  // renewed by hand meanwhile, which ended its automatic renewal
            } catch {
                let next = orderValidTill > now ? now.addingTimeInterval(RenewalRules.retryAfterFailure) : nil
                try await store.write { try $0.setAutoRenewalDue(orderID: orderID, next) }
                pass.failed.append(.init(orderID: orderID, reason: String(describing: error), nextAttempt: next))
            }
        }
        return pass
    }

    /// Renews an order as its owner would by hand: same names, key, product, term and settings,
    /// charged to the account, approved and validated like any order (`skip_approval` carries over).
    private func renewAutomatically(orderID: Int) async throws -> PlacedOrder {
        let (order, previous, certificate, principal) = try await store.read { connection in
            guard let order = try connection.order(id: orderID) else {
                throw WorkflowError.orderNotFound(String(orderID))
            }
            guard let certificate = try connection.currentCertificate(of: order) else {
                throw StoreError.inconsistent("order \(orderID) has no certificate")
            }
            guard let user = try connection.user(id: order.userID) else { throw WorkflowError.userNotFound(order.userID) }
            let previous = try order.options.renewalOfOrderID.map { try connection.order(id: $0) } ?? nil
            let principal = Principal(
                user: user, containers: try connection.containers(), settings: try connection.accountSettings())
            return (order, previous, certificate, principal)
        }
        guard let product = order.product else { throw OrderRuleError.unknownProduct(order.productNameID) }
        // Its key may be compromised: the owner reissues (new key) or renews by hand.
        guard certificate.status == .issued else {
            throw WorkflowError.orderNotEligibleForRenewal(
                id: orderID,
                reason: "its current certificate \(certificate.id) is \(certificate.status.rawValue); reissue it first")
        }
        var submission = RenewalRules.automaticRenewal(
            of: order, previous: previous, csr: certificate.csr, thumbprint: certificate.issuance?.thumbprint,
            product: product)
        // A renewal skips approval only while its owner still may; otherwise it waits for approval.
        submission.skipApproval = submission.skipApproval && principal.maySkipApproval
        submission.options.skipApproval = submission.skipApproval
        return try await placeOrder(
            submission, by: principal,
            fingerprint: Self.fingerprint(Array("automatic renewal of order \(orderID)".utf8)))
    }

    /// The order a submission renews (`renewal_of_order_id`), checked: the caller's, issued, not
    /// renewed before, and the one `renewed_thumbprint` names when given. It is locked until the
    /// transaction ends, so that two renewals of it never both commit.
    public func orderToRenew(
        for submission: OrderSubmission, by principal: Principal, connection: WriteSession
    ) throws
        -> Order?
    {
        guard let previousID = submission.options.renewalOfOrderID else { return nil }
        guard let previous = try connection.order(id: previousID, forUpdate: true),
            principal.canSee(containerID: previous.containerID)
        else { throw WorkflowError.orderNotFound(String(previousID)) }
        if let renewal = previous.renewedOrderID {
            throw WorkflowError.orderRenewedAlready(id: previousID, renewedBy: renewal)
        }
        guard previous.status == .issued else {
            throw WorkflowError.orderNotEligibleForRenewal(
                id: previousID, reason: "it is \(previous.status.rawValue); only issued orders can be renewed")
        }
        if let thumbprint = submission.options.renewedThumbprint?.trimmingWhitespace(), !thumbprint.isEmpty {
            let thumbprints = try connection.certificates(orderID: previousID).compactMap { $0.issuance?.thumbprint }
            guard thumbprints.contains(where: { $0.caseInsensitiveCompare(thumbprint) == .orderedSame }) else {
                throw WorkflowError.orderNotEligibleForRenewal(
                    id: previousID, reason: "renewed_thumbprint \(thumbprint) is not the thumbprint of one of its certificates")
            }
        }
        return previous
    }
}
