import Foundation
import SignetCore
import SignetStore

extension RegistrationAuthority {
    /// Cancels an order that has no certificate yet, or the reissue an issued order waits for
    /// (CertCentral `PUT /order/certificate/{id}/status` with `canceled`; certcentral.md 4.4).
    ///
    /// - An order that needs approval or is pending is `canceled`: its certificate is cancelled,
    ///   its open requests are rejected with `note`, its DCV checks stop, everything it was charged
    ///   is credited back, and an order it was renewing can be renewed again.
    /// - An order whose reissue is pending returns to `issued` with its current certificate; the
    ///   reissue's certificate is cancelled and its request rejected with `note`.
    /// - Any other order is refused, unchanged (`orderNotCancelable`).
    public func cancel(orderID: Int, note: String, by principal: Principal) async throws {
        let now = clock.now()
        try await store.write { connection in
            guard var order = try connection.order(id: orderID, forUpdate: true),
                principal.canSee(containerID: order.containerID)
            else { throw WorkflowError.orderNotFound(String(orderID)) }
            switch order.status {
            case .needsApproval, .pending:
                try self.withdrawUnissued(
                    order, as: .canceled, processorID: principal.user.id, comment: note, connection: connection, now: now)
                try Self.refundAll(orderID: order.id, note: "order \(order.id) canceled", connection: connection, at: now)
            case .reissuePending:
                try self.move(&order, .withdrawReissue, connection: connection, now: now)
                try connection.rejectPendingRequests(
                    orderID: order.id, processorID: principal.user.id, comment: note, at: now)
            default:
                throw WorkflowError.orderNotCancelable(id: order.id, status: order.status)
            }
        }
    }

    /// Ends an order before issuance in the caller's transaction, as `canceled` or `rejected`: its
    /// certificates that are not issued are cancelled, its open requests rejected with `comment`,
    /// its DCV checks stopped and any renewal link undone, so that the order it renewed can be
    /// renewed again. Charges are the caller's to credit back (``refundAll(orderID:note:connection:at:)``).
    public func withdrawUnissued(
        _ order: Order, as withdrawal: OrderLifecycle.Withdrawal, processorID: Int, comment: String, connection: WriteSession,
        now: Date
    ) throws {
        var order = order
        try move(&order, .withdraw(as: withdrawal), processorID: processorID, comment: comment, connection: connection, now: now)
    }

    /// Credits back what is still owed on an order: its charges less the refunds it had.
    public static func refundAll(orderID: Int, note: String, connection: WriteSession, at now: Date) throws {
        let owed = -(try connection.ledger(orderID: orderID)).reduce(Money.zero) { $0 + $1.amount }
        if owed.cents > 0 { _ = try connection.post(owed, kind: .refund, orderID: orderID, note: note, at: now) }
    }
}
