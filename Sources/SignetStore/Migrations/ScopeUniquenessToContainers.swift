import FluentKit
import SQLKit

/// Idempotency keys and domains belong to a container (CertCentral's model): two teams may both
/// use `alternative_order_id` "42" or validate `example.com`, and neither learns of the other.
/// Until this migration both were unique across the whole database, so a key or domain used by
/// one container answered another container's request with a conflict that named it.
struct ScopeUniquenessToContainers: AsyncMigration {
    var name: String { "signet.ScopeUniquenessToContainers.v5" }

    private static let replaced = [
        (table: "domains", constraint: "uq:domains.name", columns: ["container_id", "name"]),
        (table: "orders", constraint: "uq:orders.alternative_order_id", columns: ["container_id", "alternative_order_id"]),
    ]

    /// In one transaction: a crash between dropping a table and renaming its copy must lose nothing.
    func prepare(on database: any Database) async throws {
        try await database.transaction { transaction in
            guard let sql = transaction as? any SQLDatabase else {
                throw StoreError.inconsistent("migrations need an SQL database")
            }
            try await Self.replaceConstraints(on: sql)
        }
    }

    private static func replaceConstraints(on sql: any SQLDatabase) async throws {
        for (table, constraint, columns) in replaced {
            if sql.dialect.name == "postgresql" {
                try await sql.raw("ALTER TABLE \(ident: table) DROP CONSTRAINT \(ident: constraint)").run()
            } else {
                try await SQLiteTableRebuild.dropConstraint(constraint, of: table, on: sql)
            }
            var index = sql.create(index: "idx_\(table)_\(columns.joined(separator: "_"))").unique().on(table)
            for column in columns { index = index.column(column) }
            try await index.run()
        }
    }

    func revert(on database: any Database) async throws {
        throw StoreError.inconsistent("\(name) cannot be reverted: containers may now share keys and domains")
    }
}

/// SQLite cannot drop a table constraint: the table is rebuilt without it (sqlite.org/lang_altertable.html,
/// "other kinds of table schema changes"), its rows copied, its indexes and triggers recreated.
enum SQLiteTableRebuild {
    private struct SchemaRow: Decodable {
        var type: String
        var sql: String
    }

    static func dropConstraint(_ constraint: String, of table: String, on sql: any SQLDatabase) async throws {
        let rows = try await sql.raw(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = \(bind: table) AND sql IS NOT NULL ORDER BY type = 'table' DESC"
        ).all(decoding: SchemaRow.self)
        guard let create = rows.first(where: { $0.type == "table" })?.sql else {
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
        try await sql.raw("\(unsafeRaw: rebuilt)").run()
        try await sql.raw("INSERT INTO \(ident: temporary) SELECT * FROM \(ident: table)").run()
        try await sql.raw("DROP TABLE \(ident: table)").run()
        try await sql.raw("ALTER TABLE \(ident: temporary) RENAME TO \(ident: table)").run()
        for row in rows where row.type != "table" { try await sql.raw("\(unsafeRaw: row.sql)").run() }
    }
}
