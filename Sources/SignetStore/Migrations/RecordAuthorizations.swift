import Foundation

/// Domain validation state as rows: one authorization per order and name (its method, status and
/// the last check's outcome), and the order-wide random value, expiry, attempt count and CAA
/// findings as columns of the order. Until now all of it was one JSON column of the order, which a
/// front end could not address by authorization (ACME does) and a query could not search.
///
/// Existing orders keep their state: the JSON is read once here, with a copy of its shape as it
/// was written, and the column is dropped.
struct RecordAuthorizations: SchemaMigration {
    var name: String { "signet.RecordAuthorizations.v9" }

    /// The JSON of `orders.dcv_json` as versions up to 8 wrote it.
    private struct StoredDCV: Decodable {
        struct Name: Decodable {
            var method: String
            var status: String
            var detail: String?
            var checkedAt: Date?
            var failure: String?
        }
        var randomValue: String
        var expires: Date
        var attempts: Int
        var names: [String: Name]
        var caaMessages: [String: String]
    }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("authorizations").id()
                .required("order_id", .integer)
                .required("container_id", .integer)
                .required("name", .text)
                .required("method", .text)
                .required("status", .text)
                .column("detail", .text)
                .column("failure", .text)
                .column("checked_at", .date)
                .unique("order_id", "name"))
        try schema.createIndex("authorizations", ["container_id", "name"])
        try schema.addColumn("orders", "dcv_random_value", .text)
        try schema.addColumn("orders", "dcv_expires", .date)
        try schema.addColumn("orders", "dcv_attempts", .integer, required: true, default: "0")
        try schema.addColumn("orders", "caa_messages_json", .text)

        for row in try schema.rows("SELECT id, container_id, dcv_json FROM orders WHERE dcv_json IS NOT NULL") {
            let orderID = try row.int("id")
            guard let json = try row.optionalString("dcv_json"),
                let dcv = try? JSONDecoder().decode(StoredDCV.self, from: Data(json.utf8))
            else { continue }
            try schema.execute(
                "UPDATE orders SET dcv_random_value = ?, dcv_expires = ?, dcv_attempts = ?, caa_messages_json = ? WHERE id = ?",
                [dcv.randomValue, dcv.expires, dcv.attempts, try JSONColumn.encode(dcv.caaMessages), orderID])
            for (name, state) in dcv.names.sorted(by: { $0.key < $1.key }) {
                try schema.execute(
                    "INSERT INTO authorizations (order_id, container_id, name, method, status, detail, failure, checked_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        orderID, try row.int("container_id"), name, state.method, state.status, state.detail, state.failure,
                        state.checkedAt,
                    ])
            }
        }
        try schema.execute("ALTER TABLE orders DROP COLUMN dcv_json")
    }
}
