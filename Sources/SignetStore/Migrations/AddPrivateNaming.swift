/// A naming policy per container (docs/private-pki.md): `public` (the WebPKI's names, the default
/// that keeps the double faithful) or `private` (internal names and IP addresses), with the
/// operator's switches and the private addresses its HTTP validation may reach; and the
/// pre-authorizations an administrator gives a private container, kept with who gave them and when.
struct AddPrivateNaming: SchemaMigration {
    var name: String { "signet.AddPrivateNaming.v12" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("containers", "name_scope", .text, required: true, default: "'public'")
        try schema.addColumn("containers", "single_label_names", .bool, required: true, default: "FALSE")
        try schema.addColumn("containers", "localhost_names", .bool, required: true, default: "FALSE")
        try schema.addColumn("containers", "private_targets", .text, required: true, default: "''")
        try schema.create(
            TableDefinition("preauthorizations").id()
                .required("container_id", .integer)
                .required("value", .text)
                .required("added_by", .text)
                .required("date_created", .date))
        try schema.createIndex("preauthorizations", ["container_id", "value"], unique: true)
    }
}
