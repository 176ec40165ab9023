/// Which front end placed each order, so that an order's events reach that dialect alone (until
/// now every issuance looked up reseller records, whatever dialect placed the order). Orders with
/// reseller records were placed through the reseller API; every other one through CertCentral.
struct RecordOrderOrigins: SchemaMigration {
    var name: String { "signet.RecordOrderOrigins.v8" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("orders", "origin", .text, required: true, default: "'certcentral'")
        try schema.execute("UPDATE orders SET origin = 'reseller' WHERE id IN (SELECT order_id FROM reseller_orders)")
    }
}
