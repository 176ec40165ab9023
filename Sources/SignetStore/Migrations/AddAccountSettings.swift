import FluentKit
import SQLKit

/// Account settings beside the balance: whether users with the `user` role may skip approval
/// (off, as CertCentral ships; docs/behaviour.md).
struct AddAccountSettings: AsyncMigration {
    var name: String { "signet.AddAccountSettings.v6" }

    func prepare(on database: any Database) async throws {
        try await database.schema("account")
            .field("users_may_skip_approval", .bool, .required, .sql(.default(false)))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("account").deleteField("users_may_skip_approval").update()
    }
}
