import Foundation
import SQLKit
import SignetCore

extension StoreConnection {
    /// Leases the issued orders whose automatic renewal is due to the caller until `leaseUntil`:
    /// other instances skip them meanwhile (`SKIP LOCKED`), and once the lease is over an
    /// instance that died mid-renewal is replaced. A renewal, or a failure's next attempt, then
    /// sets the real next time. Returns each order with the end of its term.
    public func leaseOrdersDueForRenewal(at date: Date, leaseUntil: Date, limit: Int) async throws
        -> [(orderID: Int, orderValidTill: Date)]
    {
        struct Due: Decodable { var id: Int; var orderValidTill: Date }
        let due = try await sql.select().columns("id", "order_valid_till").from("orders")
            .where("auto_renewal_due", .lessThanOrEqual, date)
            .where("status", .equal, OrderStatus.issued.rawValue).where("renewed_order_id", .is, SQLLiteral.null)
            .orderBy("auto_renewal_due").limit(limit).lockingRows(skipLocked: true).all(decoding: Due.self, with: Self.decoder)
        if !due.isEmpty {
            try await sql.update("orders").set("auto_renewal_due", to: leaseUntil).where("id", .in, due.map(\.id)).run()
        }
        return due.map { ($0.id, $0.orderValidTill) }
    }

    /// Schedules (or, with `nil`, stops) the order's automatic renewal.
    public func setAutoRenewalDue(orderID: Int, _ date: Date?) async throws {
        try await sql.update("orders").set("auto_renewal_due", to: date).where("id", .equal, orderID).run()
    }

    /// Records that `renewalID` renewed the order, which ends its automatic renewal.
    public func markOrderRenewed(orderID: Int, by renewalID: Int, at date: Date) async throws {
        try await sql.update("orders").set("renewed_order_id", to: renewalID).set("auto_renewal_due", to: SQLLiteral.null)
            .set("date_updated", to: date).where("id", .equal, orderID).run()
    }

    /// Undoes the link of a renewal that was refused, so that the order it renewed can be renewed
    /// again by hand. Its automatic renewal stays off: an approver just refused one.
    public func unlinkRenewal(renewalID: Int, at date: Date) async throws {
        try await sql.update("orders").set("renewal_of_order_id", to: SQLLiteral.null).where("id", .equal, renewalID).run()
        try await sql.update("orders").set("renewed_order_id", to: SQLLiteral.null).set("date_updated", to: date)
            .where("renewed_order_id", .equal, renewalID).run()
    }
}
