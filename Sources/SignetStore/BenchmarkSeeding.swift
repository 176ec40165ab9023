import Foundation
import SQLKit

extension StoreConnection {
    /// Inserts `count` copies of order `templateID` (its certificate shared, no idempotency key),
    /// `rowsPerStatement` at a time: a large order table for list benchmarks, filled in seconds
    /// rather than by placing and signing a million orders. Returns how many it inserted.
    public func insertCopies(ofOrder templateID: Int, count: Int, rowsPerStatement: Int = 400) async throws -> Int {
        guard var template = try await sql.select().column("*").from("orders").where("id", .equal, templateID)
            .first(decoding: OrderRow.self, with: Self.decoder)
        else { throw StoreError.inconsistent("order \(templateID) does not exist") }
        template.id = nil
        template.alternativeOrderId = nil
        template.requestFingerprint = nil
        template.renewalOfOrderId = nil
        template.renewedOrderId = nil
        template.autoRenewalDue = nil
        var inserted = 0
        while inserted < count {
            let rows = Array(repeating: template, count: min(rowsPerStatement, count - inserted))
            try await sql.insert(into: "orders").models(rows, with: Self.encoder).run()
            inserted += rows.count
        }
        return inserted
    }
}
