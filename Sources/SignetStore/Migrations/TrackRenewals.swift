import Foundation
import SignetCore

/// Renewals as columns: which order an order renews (unique, so an order is renewed once), which
/// order renewed it, and when the background pass should renew it. Orders stored before keep
/// their renewal settings: the columns are filled from their options.
struct TrackRenewals: SchemaMigration {
    var name: String { "signet.TrackRenewals.v3" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("orders", "renewal_of_order_id", .integer)
        try schema.addColumn("orders", "renewed_order_id", .integer)
        try schema.addColumn("orders", "auto_renewal_due", .date)
        let rows = try schema.rows(
            "SELECT id, options_json, status, order_valid_till FROM orders WHERE options_json LIKE '%autoRenew%' OR options_json LIKE '%renewalOfOrderID%' ORDER BY id"
        )
        let options = try rows.map { try JSONColumn.decode(OrderOptions.self, from: try $0.string("options_json")) }
        // The first order that names an earlier one renews it; later ones stay as they are.
        var renewed: Set<Int> = []
        for (row, options) in zip(rows, options) {
            let id = try row.int("id")
            if let previous = options.renewalOfOrderID, renewed.insert(previous).inserted {
                try schema.execute("UPDATE orders SET renewal_of_order_id = ? WHERE id = ?", [previous, id])
                try schema.execute("UPDATE orders SET renewed_order_id = ? WHERE id = ?", [id, previous])
            }
        }
        for (row, options) in zip(rows, options) {
            let id = try row.int("id")
            if (options.autoRenew ?? 0) > 0, try row.string("status") == OrderStatus.issued.rawValue, !renewed.contains(id) {
                let due = try row.date("order_valid_till").addingTimeInterval(-RenewalRules.autoRenewalLead)
                try schema.execute("UPDATE orders SET auto_renewal_due = ? WHERE id = ?", [due, id])
            }
        }
        try schema.createIndex("orders", ["renewal_of_order_id"], unique: true)
        try schema.createIndex("orders", ["auto_renewal_due"])
    }
}
