import Foundation
import SignetCore

extension StoreSession where Access == ReadWrite {
    /// Leases the issued orders whose automatic renewal is due to the caller until `leaseUntil`:
    /// other instances skip them meanwhile (`SKIP LOCKED`), and once the lease is over an
    /// instance that died mid-renewal is replaced. A renewal, or a failure's next attempt, then
    /// sets the real next time. Returns each order with the end of its term.
    public func leaseOrdersDueForRenewal(
        at date: Date, leaseUntil: Date, limit: Int
    ) throws
        -> [(orderID: Int, orderValidTill: Date)]
    {
        let due = try rows(
            """
            SELECT id, order_valid_till FROM orders WHERE auto_renewal_due <= ? AND status = ? AND renewed_order_id IS NULL
            ORDER BY auto_renewal_due LIMIT ?\(forUpdateSkipLocked)
            """,
            [date, OrderStatus.issued.rawValue, limit]
        ).map { (orderID: try $0.int("id"), orderValidTill: try $0.date("order_valid_till")) }
        if !due.isEmpty {
            try execute(
                "UPDATE orders SET auto_renewal_due = ? WHERE id IN \(Self.list(due.count))",
                Self.binds([leaseUntil], due.map(\.orderID)))
        }
        return due
    }

    /// Schedules (or, with `nil`, stops) the order's automatic renewal.
    public func setAutoRenewalDue(orderID: Int, _ date: Date?) throws {
        try execute("UPDATE orders SET auto_renewal_due = ? WHERE id = ?", [date, orderID])
    }

    /// Records that `renewalID` renewed the order, which ends its automatic renewal.
    public func markOrderRenewed(orderID: Int, by renewalID: Int, at date: Date) throws {
        try execute(
            "UPDATE orders SET renewed_order_id = ?, auto_renewal_due = NULL, date_updated = ? WHERE id = ?",
            [renewalID, date, orderID])
    }

    /// Undoes the link of a renewal that was refused, so that the order it renewed can be renewed
    /// again by hand. Its automatic renewal stays off: an approver just refused one.
    public func unlinkRenewal(renewalID: Int, at date: Date) throws {
        try execute("UPDATE orders SET renewal_of_order_id = NULL WHERE id = ?", [renewalID])
        try execute("UPDATE orders SET renewed_order_id = NULL, date_updated = ? WHERE renewed_order_id = ?", [date, renewalID])
    }
}
