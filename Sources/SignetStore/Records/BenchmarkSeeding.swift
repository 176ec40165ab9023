import Foundation

extension StoreSession where Access == ReadWrite {
    /// Inserts `count` copies of order `templateID` (its certificate shared, no idempotency key),
    /// `rowsPerStatement` at a time: a large order table for list benchmarks, filled in seconds
    /// rather than by placing and signing a million orders. Returns how many it inserted.
    public func insertCopies(ofOrder templateID: Int, count: Int, rowsPerStatement: Int = 200) throws -> Int {
        guard var template = try first(OrderRow.self, "SELECT * FROM orders WHERE id = ?", [templateID]) else {
            throw StoreError.inconsistent("order \(templateID) does not exist")
        }
        template.id = nil
        template.alternativeOrderId = nil
        template.requestFingerprint = nil
        template.renewalOfOrderId = nil
        template.renewedOrderId = nil
        template.autoRenewalDue = nil
        let (columns, values) = try RowEncoder.encode(template)
        var inserted = 0
        while inserted < count {
            let rows = min(rowsPerStatement, count - inserted)
            let tuple = Self.list(columns.count)
            let sql =
                "INSERT INTO orders (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: rows).joined(separator: ", ")
            _ = try executor.execute(sql, Array(Array(repeating: values, count: rows).joined()))
            inserted += rows
        }
        return inserted
    }
}
