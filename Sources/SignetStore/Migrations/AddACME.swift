/// ACME (RFC 8555): External Account Binding keys an operator hands out, each bound to a container
/// (and optionally a product), the accounts registered with them, and the challenges of each
/// identifier of an ACME order. An ACME order is an order like any other (origin `acme`); an
/// account acts as a user of its container, so its orders are listed, charged and approved there.
struct AddACME: SchemaMigration {
    var name: String { "signet.AddACME.v13" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("acme_eab_keys").id()
                .required("key_id", .text)
                .required("sealed_key", .text)
                .required("container_id", .integer)
                .column("product_name_id", .text)
                .required("requires_approval", .bool, default: "FALSE")
                .column("account_id", .integer)
                .required("date_created", .date))
        try schema.createIndex("acme_eab_keys", ["key_id"], unique: true)
        try schema.create(
            TableDefinition("acme_accounts").id()
                .required("container_id", .integer)
                .required("user_id", .integer)
                .required("thumbprint", .text)
                .required("jwk_json", .text)
                .required("status", .text)
                .required("contact_json", .text)
                .column("eab_key_id", .integer)
                .required("date_created", .date))
        try schema.createIndex("acme_accounts", ["thumbprint"], unique: true)
        try schema.createIndex("acme_accounts", ["user_id"])
        try schema.create(
            TableDefinition("acme_challenges").id()
                .required("order_id", .integer)
                .required("name", .text)
                .required("type", .text)
                .required("token", .text)
                .required("status", .text)
                .column("error_json", .text)
                .column("validated_at", .date))
        try schema.createIndex("acme_challenges", ["order_id", "name", "type"], unique: true)
    }
}
