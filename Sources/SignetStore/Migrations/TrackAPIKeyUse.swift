/// When each API key was last used, for `signet apikey list`: an operator revoking keys needs to
/// know which are in use. Written when a request's key is resolved from the database (at most
/// once per key per cache period), never per request.
struct TrackAPIKeyUse: SchemaMigration {
    var name: String { "signet.TrackAPIKeyUse.v16" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("api_keys", "last_used_at", .date)
    }
}
