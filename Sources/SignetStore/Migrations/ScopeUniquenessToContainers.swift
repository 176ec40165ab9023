/// Idempotency keys and domains belong to a container (CertCentral's model): two teams may both
/// use `alternative_order_id` "42" or validate `example.com`, and neither learns of the other.
/// Until this migration both were unique across the whole database, so a key or domain used by
/// one container answered another container's request with a conflict that named it.
struct ScopeUniquenessToContainers: SchemaMigration {
    var name: String { "signet.ScopeUniquenessToContainers.v5" }

    private static let replaced = [
        (table: "domains", constraint: "uq:domains.name", columns: ["container_id", "name"]),
        (table: "orders", constraint: "uq:orders.alternative_order_id", columns: ["container_id", "alternative_order_id"]),
    ]

    /// In the migration's one transaction: a crash between dropping a table and renaming its copy loses nothing.
    func prepare(_ schema: SchemaEditor) throws {
        for (table, constraint, columns) in Self.replaced {
            if schema.dialect == .postgresql {
                try schema.execute("ALTER TABLE \"\(table)\" DROP CONSTRAINT \"\(constraint)\"")
            } else {
                try SQLiteTableRebuild.dropConstraint(constraint, of: table, schema)
            }
            try schema.createIndex(table, columns, unique: true)
        }
    }
}

/// SQLite cannot drop a table constraint: the table is rebuilt without it (sqlite.org/lang_altertable.html,
/// "other kinds of table schema changes"), its rows copied, its indexes and triggers recreated.
enum SQLiteTableRebuild {
    static func dropConstraint(_ constraint: String, of table: String, _ schema: SchemaEditor) throws {
        let rows = try schema.rows(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'table' DESC", [table])
        let objects = try rows.map { (type: try $0.string("type"), sql: try $0.string("sql")) }
        guard let create = objects.first(where: { $0.type == "table" })?.sql else {
            throw StoreError.inconsistent("table \(table) not found")
        }
        let clause = ", CONSTRAINT \"\(constraint)\" UNIQUE"
        guard let start = create.range(of: clause), let close = create[start.upperBound...].firstIndex(of: ")") else {
            throw StoreError.inconsistent("constraint \(constraint) not found in \(table)")
        }
        var rebuilt = create
        rebuilt.removeSubrange(start.lowerBound...close)
        guard let name = rebuilt.range(of: "\"\(table)\"") ?? rebuilt.range(of: table) else {
            throw StoreError.inconsistent("cannot rename \(table)")
        }
        let temporary = "\(table)_rebuilt"
        rebuilt.replaceSubrange(name, with: "\"\(temporary)\"")
        try schema.execute(rebuilt)
        try schema.execute("INSERT INTO \"\(temporary)\" SELECT * FROM \"\(table)\"")
        try schema.execute("DROP TABLE \"\(table)\"")
        try schema.execute("ALTER TABLE \"\(temporary)\" RENAME TO \"\(table)\"")
        for object in objects where object.type != "table" { try schema.execute(object.sql) }
    }
}
