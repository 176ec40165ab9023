import FluentKit

/// Revoked issuing CAs, which the root's CRL lists and its OCSP responses report. Shared through
/// the database, so that every instance's root CRL agrees.
struct RecordIssuerRevocations: AsyncMigration {
    var name: String { "signet.RecordIssuerRevocations.v7" }

    func prepare(on database: any Database) async throws {
        try await database.schema("issuer_revocations")
            .field("issuer_id", .string, .identifier(auto: false))
            .field("serial_number", .string, .required)
            .field("revoked_at", .datetime, .required)
            .field("revocation_reason", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("issuer_revocations").delete()
    }
}
