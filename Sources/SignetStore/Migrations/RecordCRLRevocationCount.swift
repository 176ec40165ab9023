/// How many revocations each published CRL was built from: the CA's count of revocations only
/// grows, so comparing it with the current count (one index range count) tells whether the CRL is
/// behind, without listing the revoked certificates at every read and background pass. It
/// supersedes ``RecordCRLContents``' digest, which needed that listing; the digest column stays,
/// unused. Existing rows have none and are rebuilt once.
struct RecordCRLRevocationCount: SchemaMigration {
    var name: String { "signet.RecordCRLRevocationCount.v18" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("revocation_lists", "revocations_seen", .integer)
    }
}
