import Foundation
import FluentKit
import SQLKit
import SignetCore

/// The schema, as Fluent migrations so that SQLite and PostgreSQL get the same tables.
///
/// Money is integer cents; timestamps are Fluent datetimes; lists and nested objects are JSON
/// text, because they are read whole with their row and never searched inside (names are
/// searched through `common_name` and the certificates table).
public enum SchemaMigrations {
    /// Whether the database holds Signet's schema (any migration has run), read before migrating.
    public static func hasSchema(_ sql: any SQLDatabase) async throws -> Bool {
        struct Row: Decodable { var count: Int }
        let query: SQLQueryString = sql.dialect.name == "postgresql"
            ? "SELECT COUNT(*) AS count FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_fluent_migrations'"
            : "SELECT COUNT(*) AS count FROM sqlite_master WHERE type = 'table' AND name = '_fluent_migrations'"
        return (try await sql.raw(query).first(decoding: Row.self)?.count ?? 0) > 0
    }

    /// Removes a SQLite database and its -wal and -shm files (one this start created and refused).
    public static func removeSQLiteFiles(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    public static var all: [any Migration] { [CreateSchema(), RecordCertificateAuthority(), TrackRenewals(), CountOrdersByStatus(), ScopeUniquenessToContainers(), AddAccountSettings(), RecordIssuerRevocations()] }
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
            .field("covers_subdomains", .bool, .required)
            .field("method", .string, .required)
            .field("token", .string)
            .field("token_expires", .datetime)
            .field("is_active", .bool, .required)
            .field("organization_id", .int64)
            .field("last_error", .string)
            .unique(on: "name")
            .create()
        try await database.schema("dcv_emails")
            .field("id", .int64, .identifier(auto: true))
            .field("container_id", .int64, .required)
            .field("order_id", .int64)
            .field("domain_id", .int64)
            .field("name", .string, .required)
            .field("recipient", .string, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("code", .string, .required)
            .field("date_created", .datetime, .required)
            .field("expires", .datetime, .required)
            .field("sent_at", .datetime)
            .field("send_error", .string)
            .field("followed_at", .datetime)
            .field("lease_until", .datetime)
            .unique(on: "code")
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
            .field("dcv_json", .string)
            .field("dcv_next_check", .datetime)
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
        try await database.schema("reseller_keys")
            .field("id", .int64, .identifier(auto: true))
            .field("access_key_id", .string, .required)
            .field("sealed_secret", .string, .required)
            .field("user_id", .int64, .required)
            .field("name", .string, .required)
            .field("is_active", .bool, .required)
            .field("date_created", .datetime, .required)
            .unique(on: "access_key_id")
            .create()
        try await database.schema("reseller_nonces")
            .field("access_key_id", .string, .required)
            .field("nonce", .string, .required)
            .field("seen_at", .datetime, .required)
            .unique(on: "access_key_id", "nonce")
            .create()
        try await database.schema("reseller_orders")
            .field("order_id", .int64, .identifier(auto: false))
            .field("access_key_id", .string, .required)
            .field("service_id", .string, .required)
            .field("details_json", .string, .required)
            .unique(on: "service_id")
            .create()
        try await database.schema("reseller_requests")
            .field("id", .int64, .identifier(auto: true))
            .field("access_key_id", .string, .required)
            .field("unique_id", .string, .required)
            .field("fingerprint", .string, .required)
            .field("order_id", .int64, .required)
            .field("cost_cents", .int64, .required)
            .field("date_created", .datetime, .required)
            .unique(on: "access_key_id", "unique_id")
            .create()
        try await database.schema("callbacks")
            .field("id", .int64, .identifier(auto: true))
            .field("order_id", .int64, .required)
            .field("access_key_id", .string, .required)
            .field("url", .string, .required)
            .field("event", .string, .required)
            .field("payload", .string, .required)
            .field("date_created", .datetime, .required)
            .field("attempts", .int64, .required)
            .field("next_attempt_at", .datetime)
            .field("delivered_at", .datetime)
            .field("last_status", .int64)
            .field("last_error", .string)
            .field("last_attempt_at", .datetime)
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
            ("orders", ["dcv_next_check"]), ("dcv_emails", ["sent_at"]), ("dcv_emails", ["order_id"]),
            ("callbacks", ["next_attempt_at"]), ("callbacks", ["order_id"]), ("reseller_nonces", ["seen_at"]),
            ("reseller_orders", ["access_key_id", "order_id"]),
        ] {
            var index = sql.create(index: "idx_\(table)_\(columns.joined(separator: "_"))").on(table)
            for column in columns { index = index.column(column) }
            try await index.run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in [
            "callbacks", "reseller_requests", "reseller_orders", "reseller_nonces", "reseller_keys",
            "revocation_lists", "requests", "certificates", "orders", "dcv_emails", "domains", "organizations", "api_keys", "users", "containers",
            "ledger_entries", "account",
        ] {
            try await database.schema(table).delete()
        }
    }
}

/// The CA a database belongs to, so that an instance whose data folder holds other CA keys refuses
/// to start instead of issuing under a second, unrelated root.
struct RecordCertificateAuthority: AsyncMigration {
    var name: String { "signet.RecordCertificateAuthority.v2" }

    func prepare(on database: any Database) async throws {
        try await database.schema("certificate_authority")
            .field("id", .int64, .identifier(auto: false))
            .field("root_fingerprint", .string, .required)
            .field("recorded_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("certificate_authority").delete()
    }
}

/// Renewals as columns: which order an order renews (unique, so an order is renewed once), which
/// order renewed it, and when the background pass should renew it. Orders stored before keep
/// their renewal settings: the columns are filled from their options.
struct TrackRenewals: AsyncMigration {
    var name: String { "signet.TrackRenewals.v3" }

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        try await database.schema("orders").field("renewal_of_order_id", .int64).update()
        try await database.schema("orders").field("renewed_order_id", .int64).update()
        try await database.schema("orders").field("auto_renewal_due", .datetime).update()
        let sql = database as! any SQLDatabase

        struct Row: Decodable { var id: Int; var optionsJson: String; var status: String; var orderValidTill: Date }
        let rows = try await sql.select().columns("id", "options_json", "status", "order_valid_till").from("orders")
            .where("options_json", .like, "%autoRenew%").orWhere("options_json", .like, "%renewalOfOrderID%")
            .orderBy("id").all(decoding: Row.self, with: StoreConnection.decoder)
        let options = try rows.map { try JSONColumn.decode(OrderOptions.self, from: $0.optionsJson) }
        // The first order that names an earlier one renews it; later ones stay as they are.
        var renewed: Set<Int> = []
        for (row, options) in zip(rows, options) {
            if let previous = options.renewalOfOrderID, renewed.insert(previous).inserted {
                try await sql.update("orders").set("renewal_of_order_id", to: previous).where("id", .equal, row.id).run()
                try await sql.update("orders").set("renewed_order_id", to: row.id).where("id", .equal, previous).run()
            }
        }
        for (row, options) in zip(rows, options) {
            if (options.autoRenew ?? 0) > 0, row.status == OrderStatus.issued.rawValue, !renewed.contains(row.id) {
                try await sql.update("orders")
                    .set("auto_renewal_due", to: row.orderValidTill.addingTimeInterval(-RenewalRules.autoRenewalLead))
                    .where("id", .equal, row.id).run()
            }
        }
        try await sql.create(index: "idx_orders_renewal_of_order_id").unique().on("orders").column("renewal_of_order_id").run()
        try await sql.create(index: "idx_orders_auto_renewal_due").on("orders").column("auto_renewal_due").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(index: "idx_orders_renewal_of_order_id").run()
        try await sql.drop(index: "idx_orders_auto_renewal_due").run()
        for column in ["renewal_of_order_id", "renewed_order_id", "auto_renewal_due"] {
            try await database.schema("orders").deleteField(.string(column)).update()
        }
    }
}
