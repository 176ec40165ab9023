/// The CA a database belongs to, so that an instance whose data folder holds other CA keys refuses
/// to start instead of issuing under a second, unrelated root.
struct RecordCertificateAuthority: SchemaMigration {
    var name: String { "signet.RecordCertificateAuthority.v2" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("certificate_authority").key("id", .integer).required("root_fingerprint", .text)
                .required("recorded_at", .date))
    }
}
