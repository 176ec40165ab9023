/// Revoked issuing CAs, which the root's CRL lists and its OCSP responses report. Shared through
/// the database, so that every instance's root CRL agrees.
struct RecordIssuerRevocations: SchemaMigration {
    var name: String { "signet.RecordIssuerRevocations.v7" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("issuer_revocations").key("issuer_id", .text).required("serial_number", .text)
                .required("revoked_at", .date).required("revocation_reason", .text))
    }
}
