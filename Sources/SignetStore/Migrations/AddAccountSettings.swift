/// Account settings beside the balance: whether users with the `user` role may skip approval
/// (off, as CertCentral ships; docs/behaviour.md).
struct AddAccountSettings: SchemaMigration {
    var name: String { "signet.AddAccountSettings.v6" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("account", "users_may_skip_approval", .bool, required: true, default: "FALSE")
    }
}
