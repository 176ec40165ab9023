/// The first schema: account and ledger, containers, users and keys, organizations, domains and
/// their e-mail, orders, certificates, requests, and the reseller dialect's records.
struct CreateSchema: SchemaMigration {
    var name: String { "signet.CreateSchema.v1" }

    func prepare(_ schema: SchemaEditor) throws {
        for table in Self.tables { try schema.create(table) }
        for (table, columns) in [
            ("orders", ["status", "id"]), ("orders", ["common_name"]), ("orders", ["container_id", "id"]),
            ("orders", ["date_created"]), ("certificates", ["order_id"]), ("certificates", ["status", "id"]),
            ("certificates", ["issuer_id", "status"]), ("certificates", ["thumbprint"]), ("requests", ["status", "id"]),
            ("requests", ["order_id"]), ("ledger_entries", ["order_id"]), ("api_keys", ["user_id"]),
            ("orders", ["dcv_next_check"]), ("dcv_emails", ["sent_at"]), ("dcv_emails", ["order_id"]),
            ("callbacks", ["next_attempt_at"]), ("callbacks", ["order_id"]), ("reseller_nonces", ["seen_at"]),
            ("reseller_orders", ["access_key_id", "order_id"]),
        ] {
            try schema.createIndex(table, columns)
        }
    }

    static let tables: [TableDefinition] = [
        TableDefinition("account").key("id", .integer).required("balance_cents", .integer)
            .required("negative_limit_cents", .integer).required("currency", .text),
        TableDefinition("ledger_entries").id().required("amount_cents", .integer).required("kind", .text)
            .column("order_id", .integer).column("note", .text).required("date_created", .date),
        TableDefinition("containers").id().required("name", .text).column("parent_id", .integer)
            .required("is_active", .bool).required("date_created", .date),
        TableDefinition("users").id().required("container_id", .integer).required("username", .text)
            .required("first_name", .text).required("last_name", .text).required("email", .text).required("role", .text)
            .required("is_api_only", .bool).required("date_created", .date).unique("username"),
        TableDefinition("api_keys").id().required("user_id", .integer).required("name", .text).required("lookup_id", .text)
            .required("key_hash", .text).required("is_active", .bool).required("date_created", .date).unique("lookup_id"),
        TableDefinition("organizations").id().required("container_id", .integer).required("name", .text)
            .required("details_json", .text).column("ov_validated_until", .date).column("ev_validated_until", .date)
            .required("is_active", .bool).required("date_created", .date),
        TableDefinition("domains").id().required("container_id", .integer).required("name", .text)
            .column("validated_at", .date).column("validated_until", .date).required("date_created", .date)
            .required("covers_subdomains", .bool).required("method", .text).column("token", .text)
            .column("token_expires", .date).required("is_active", .bool).column("organization_id", .integer)
            .column("last_error", .text).unique("name"),
        TableDefinition("dcv_emails").id().required("container_id", .integer).column("order_id", .integer)
            .column("domain_id", .integer).required("name", .text).required("recipient", .text).required("subject", .text)
            .required("body", .text).required("code", .text).required("date_created", .date).required("expires", .date)
            .column("sent_at", .date).column("send_error", .text).column("followed_at", .date).column("lease_until", .date)
            .unique("code"),
        TableDefinition("orders").id().required("container_id", .integer).required("user_id", .integer)
            .required("product_name_id", .text).required("status", .text).column("organization_id", .integer)
            .required("common_name", .text).required("names_json", .text).required("signature_hash", .text)
            .column("server_platform_id", .integer).column("profile_option", .text)
            .required("organization_units_json", .text).required("order_valid_from", .date)
            .required("order_valid_till", .date).column("certificate_valid_till", .date)
            .required("billed_years", .integer).required("price_cents", .integer).column("alternative_order_id", .text)
            .column("request_fingerprint", .text).required("contacts_json", .text).required("options_json", .text)
            .column("certificate_id", .integer).required("date_created", .date).required("date_updated", .date)
            .column("dcv_json", .text).column("dcv_next_check", .date).unique("alternative_order_id"),
        TableDefinition("certificates").id().required("order_id", .integer).required("role", .text)
            .required("status", .text).required("common_name", .text).required("names_json", .text)
            .required("csr", .text).required("key_algorithm", .text).required("key_size", .integer)
            .required("signature_hash", .text).column("server_platform_id", .integer).required("user_id", .integer)
            .required("date_created", .date).column("serial_number", .text).column("thumbprint", .text)
            .column("pem", .text).column("valid_from", .date).column("valid_till", .date).column("date_issued", .date)
            .column("issuer_id", .text).column("revoked_at", .date).column("revocation_reason", .text)
            .unique("serial_number"),
        TableDefinition("requests").id().required("order_id", .integer).required("container_id", .integer)
            .column("certificate_id", .integer).required("type", .text).required("status", .text)
            .required("requester_id", .integer).column("processor_id", .integer).column("comments", .text)
            .column("processor_comment", .text).required("date", .date).column("date_processed", .date)
            .column("revocation_reason", .text),
        TableDefinition("reseller_keys").id().required("access_key_id", .text).required("sealed_secret", .text)
            .required("user_id", .integer).required("name", .text).required("is_active", .bool)
            .required("date_created", .date).unique("access_key_id"),
        TableDefinition("reseller_nonces").required("access_key_id", .text).required("nonce", .text)
            .required("seen_at", .date).unique("access_key_id", "nonce"),
        TableDefinition("reseller_orders").key("order_id", .integer).required("access_key_id", .text)
            .required("service_id", .text).required("details_json", .text).unique("service_id"),
        TableDefinition("reseller_requests").id().required("access_key_id", .text).required("unique_id", .text)
            .required("fingerprint", .text).required("order_id", .integer).required("cost_cents", .integer)
            .required("date_created", .date).unique("access_key_id", "unique_id"),
        TableDefinition("callbacks").id().required("order_id", .integer).required("access_key_id", .text)
            .required("url", .text).required("event", .text).required("payload", .text).required("date_created", .date)
            .required("attempts", .integer).column("next_attempt_at", .date).column("delivered_at", .date)
            .column("last_status", .integer).column("last_error", .text).column("last_attempt_at", .date),
        TableDefinition("revocation_lists").key("issuer_id", .text).required("crl_number", .integer)
            .required("this_update", .date).required("next_update", .date).required("der", .blob),
    ]
}
