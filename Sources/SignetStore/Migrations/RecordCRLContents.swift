/// What each published CRL lists, as a digest of its entries, so that a CRL can be signed outside
/// any transaction: a revocation no longer rebuilds the CRL in its own transaction; the next read
/// of the CRL (or the background pass) sees that what is revoked now differs from what the CRL
/// lists, and publishes a new one. Existing rows have none and are rebuilt once.
struct RecordCRLContents: SchemaMigration {
    var name: String { "signet.RecordCRLContents.v17" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("revocation_lists", "entries_digest", .text)
    }
}
