/// Serial numbers are reserved before a certificate is signed, and the signature is computed
/// outside the write transaction (Boulder's order: record what will be signed, sign, record the
/// result). The `serials` table holds every serial ever given out: its primary key is what makes a
/// serial impossible to use twice, whether its certificate was recorded, is being signed, or was
/// abandoned after a crash between signing and recording. Existing certificates' serials are
/// entered as issued.
struct ReserveSerials: SchemaMigration {
    var name: String { "signet.ReserveSerials.v10" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("serials")
                .key("serial_number", .text)
                .required("certificate_id", .integer)
                .required("issuer_id", .text)
                .required("state", .text)
                .required("reserved_at", .date))
        try schema.createIndex("serials", ["state", "reserved_at"])
        try schema.createIndex("serials", ["certificate_id"])
        try schema.execute(
            """
            INSERT INTO serials (serial_number, certificate_id, issuer_id, state, reserved_at)
            SELECT serial_number, id, COALESCE(issuer_id, ''), 'issued', COALESCE(date_issued, date_created)
            FROM certificates WHERE serial_number IS NOT NULL
            """)
    }
}
