/// ACME profiles per CertCentral product (docs/acme.md): an External Account Binding key may name
/// the organization its account's OV and EV orders are for, as DigiCert ties an ACME directory to
/// one; and the profile an order chose is the ACME dialect's attachment to the order, kept apart
/// from the order's CertCentral options.
struct AddACMEProductProfiles: SchemaMigration {
    var name: String { "signet.AddACMEProductProfiles.v15" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("acme_eab_keys", "organization_id", .integer)
        try schema.create(
            TableDefinition("acme_order_profiles")
                .required("order_id", .integer)
                .required("profile", .text))
        try schema.createIndex("acme_order_profiles", ["order_id"], unique: true)
    }
}
