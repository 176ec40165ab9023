import FluentKit
import SQLKit

/// The schema, as Fluent migrations so that SQLite and PostgreSQL get the same tables.
///
/// Money is integer cents; timestamps are Fluent datetimes; lists and nested objects are JSON
/// text, because they are read whole with their row and never searched inside (names are
/// searched through `common_name` and the certificates table).
public enum SchemaMigrations {
    public static var all: [any Migration] { [CreateSchema()] }
}

struct CreateSchema: AsyncMigration {
    var name: String { "signet.CreateSchema.v1" }

    func prepare(on database: any Database) async throws {
        try await database.schema("account")
            .field("id", .int64, .identifier(auto: false))
            .field("balance_cents", .int64, .required)
            .field("negative_limit_cents", .int64, .required)
            .field("currency", .string, .required)
            .create()
        try await database.schema("ledger_entries")
            .field("id", .int64, .identifier(auto: true))
            .field("amount_cents", .int64, .required)
            .field("kind", .string, .required)
            .field("order_id", .int64)
            .field("note", .string)
            .field("date_created", .datetime, .required)
            .create()
        try await database.schema("containers")
            .field("id", .int64, .identifier(auto: true))
            .field("name", .string, .required)
            .field("parent_id", .int64)
            .field("is_active", .bool, .required)
            .field("date_created", .datetime, .required)
            .create()
        try await database.schema("users")
            .field("id", .int64, .identifier(auto: true))
            .field("container_id", .int64, .required)
            .field("username", .string, .required)
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("email", .string, .required)
            .field("role", .string, .required)
            .field("is_api_only", .bool, .required)
            .field("date_created", .datetime, .required)
            .unique(on: "username")
            .create()
        try await database.schema("api_keys")
            .field("id", .int64, .identifier(auto: true))
            .field("user_id", .int64, .required)
            .field("name", .string, .required)
            .field("lookup_id", .string, .required)
            .field("key_hash", .string, .required)
            .field("is_active", .bool, .required)
            .field("date_created", .datetime, .required)
            .unique(on: "lookup_id")
            .create()
        try await database.schema("organizations")
            .field("id", .int64, .identifier(auto: true))
            .field("container_id", .int64, .required)
            .field("name", .string, .required)
            .field("details_json", .string, .required)
            .field("ov_validated_until", .datetime)
            .field("ev_validated_until", .datetime)
            .field("is_active", .bool, .required)
            .field("date_created", .datetime, .required)
            .create()
        try await database.schema("domains")
            .field("id", .int64, .identifier(auto: true))
            .field("container_id", .int64, .required)
            .field("name", .string, .required)
            .field("validated_at", .datetime)
            .field("validated_until", .datetime)
            .field("date_created", .datetime, .required)
            .unique(on: "name")
            .create()
        try await database.schema("orders")
            .field("id", .int64, .identifier(auto: true))
            .field("container_id", .int64, .required)
            .field("user_id", .int64, .required)
            .field("product_name_id", .string, .required)
            .field("status", .string, .required)
            .field("organization_id", .int64)
            .field("common_name", .string, .required)
            .field("names_json", .string, .required)
            .field("signature_hash", .string, .required)
            .field("server_platform_id", .int64)
            .field("profile_option", .string)
            .field("organization_units_json", .string, .required)
            .field("order_valid_from", .datetime, .required)
            .field("order_valid_till", .datetime, .required)
            .field("certificate_valid_till", .datetime)
            .field("billed_years", .int64, .required)
            .field("price_cents", .int64, .required)
            .field("alternative_order_id", .string)
            .field("request_fingerprint", .string)
            .field("contacts_json", .string, .required)
            .field("options_json", .string, .required)
            .field("certificate_id", .int64)
            .field("date_created", .datetime, .required)
            .field("date_updated", .datetime, .required)
            .unique(on: "alternative_order_id")
            .create()
        try await database.schema("certificates")
            .field("id", .int64, .identifier(auto: true))
            .field("order_id", .int64, .required)
            .field("role", .string, .required)
            .field("status", .string, .required)
            .field("common_name", .string, .required)
            .field("names_json", .string, .required)
            .field("csr", .string, .required)
            .field("key_algorithm", .string, .required)
            .field("key_size", .int64, .required)
            .field("signature_hash", .string, .required)
            .field("server_platform_id", .int64)
            .field("user_id", .int64, .required)
            .field("date_created", .datetime, .required)
            .field("serial_number", .string)
            .field("thumbprint", .string)
            .field("pem", .string)
            .field("valid_from", .datetime)
            .field("valid_till", .datetime)
            .field("date_issued", .datetime)
            .field("issuer_id", .string)
            .field("revoked_at", .datetime)
            .field("revocation_reason", .string)
            .unique(on: "serial_number")
            .create()
        try await database.schema("requests")
            .field("id", .int64, .identifier(auto: true))
            .field("order_id", .int64, .required)
            .field("container_id", .int64, .required)
            .field("certificate_id", .int64)
            .field("type", .string, .required)
            .field("status", .string, .required)
            .field("requester_id", .int64, .required)
            .field("processor_id", .int64)
            .field("comments", .string)
            .field("processor_comment", .string)
            .field("date", .datetime, .required)
            .field("date_processed", .datetime)
            .field("revocation_reason", .string)
            .create()
        try await database.schema("revocation_lists")
            .field("issuer_id", .string, .identifier(auto: false))
            .field("crl_number", .int64, .required)
            .field("this_update", .datetime, .required)
            .field("next_update", .datetime, .required)
            .field("der", .data, .required)
            .create()

        let sql = database as! any SQLDatabase
        for (table, columns) in [
            ("orders", ["status", "id"]), ("orders", ["common_name"]), ("orders", ["container_id", "id"]),
            ("orders", ["date_created"]), ("certificates", ["order_id"]), ("certificates", ["status", "id"]),
            ("certificates", ["issuer_id", "status"]), ("certificates", ["thumbprint"]), ("requests", ["status", "id"]),
            ("requests", ["order_id"]), ("ledger_entries", ["order_id"]), ("api_keys", ["user_id"]),
        ] {
            var index = sql.create(index: "idx_\(table)_\(columns.joined(separator: "_"))").on(table)
            for column in columns { index = index.column(column) }
            try await index.run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in [
            "revocation_lists", "requests", "certificates", "orders", "domains", "organizations", "api_keys", "users", "containers",
            "ledger_entries", "account",
        ] {
            try await database.schema(table).delete()
        }
    }
}
