/// An ACME account may deactivate an authorization (RFC 8555 7.5.2). An authorization is one name
/// of one order, and its other states follow from the order's validation; only the deactivation
/// is the account's own act, so only it is recorded, once per name.
struct RecordACMEDeactivations: SchemaMigration {
    var name: String { "signet.RecordACMEDeactivations.v14" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("acme_deactivated_authorizations")
                .required("order_id", .integer)
                .required("name", .text)
                .required("date_deactivated", .date))
        try schema.createIndex("acme_deactivated_authorizations", ["order_id", "name"], unique: true)
    }
}
