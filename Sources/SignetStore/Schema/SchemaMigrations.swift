import Foundation

/// One step of the schema, run once per database in a transaction of its own, by name.
protocol SchemaMigration: Sendable {
    /// The name recorded once it ran (kept from the Fluent migrations of earlier versions, so
    /// that their databases continue where they are).
    var name: String { get }
    func prepare(_ schema: SchemaEditor) throws
}

/// What a migration may do: statements in its transaction, written once for both dialects.
struct SchemaEditor {
    let executor: any SQLExecutor

    var dialect: SQLDialect { executor.dialect }

    func create(_ table: TableDefinition) throws {
        try execute(table.create(dialect))
    }

    /// Adds a column (SQLite adds one per statement).
    func addColumn(
        _ table: String, _ column: String, _ type: ColumnType, required: Bool = false, default value: String? = nil
    )
        throws
    {
        let definition = ColumnDefinition(name: column, type: type, required: required, defaultValue: value, isPrimaryKey: false)
        try execute("ALTER TABLE \"\(table)\" ADD COLUMN \(definition.sql(dialect))")
    }

    /// An index named `idx_<table>_<columns>`.
    func createIndex(_ table: String, _ columns: [String], unique: Bool = false) throws {
        let name = "idx_\(table)_\(columns.joined(separator: "_"))"
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        try execute("CREATE \(unique ? "UNIQUE " : "")INDEX \"\(name)\" ON \"\(table)\" (\(list))")
    }

    func execute(_ sql: String, _ values: [any SQLBindable] = []) throws {
        _ = try executor.execute(sql, values.map(\.sqlValue))
    }

    func rows(_ sql: String, _ values: [any SQLBindable] = []) throws -> [SQLRow] {
        try executor.rows(sql, values.map(\.sqlValue))
    }
}

/// The schema's migrations, in order, and how they run.
///
/// Money is integer cents; timestamps are dates (``ColumnType/date``); lists and nested objects
/// are JSON text, because they are read whole with their row and never searched inside.
public enum SchemaMigrations {
    static let all: [any SchemaMigration] = [
        CreateSchema(), RecordCertificateAuthority(), TrackRenewals(), CountOrdersByStatus(), ScopeUniquenessToContainers(),
        AddAccountSettings(), RecordIssuerRevocations(), RecordOrderOrigins(), RecordAuthorizations(), ReserveSerials(),
        AddApprovalPreferences(), AddPrivateNaming(), AddACME(), RecordACMEDeactivations(), AddACMEProductProfiles(),
        TrackAPIKeyUse(), RecordCRLContents(), RecordCRLRevocationCount(),
    ]

    /// Where applied migrations are recorded; `_fluent_migrations` in databases of earlier versions.
    static let ledger = "schema_migrations"
    static let fluentLedger = "_fluent_migrations"

    /// Removes a SQLite database and its -wal and -shm files (one this start created and refused).
    public static func removeSQLiteFiles(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func hasSchema(_ executor: any SQLExecutor) throws -> Bool {
        try tableExists(ledger, executor) || tableExists(fluentLedger, executor)
    }

    static func tableExists(_ table: String, _ executor: any SQLExecutor) throws -> Bool {
        let sql =
            executor.dialect == .postgresql
            ? "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
            : "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?"
        return try executor.rows(sql, [.text(table)]).first?.int("n") ?? 0 > 0
    }

    /// Runs every migration not yet recorded. On PostgreSQL an advisory lock lets one instance
    /// migrate while others starting at the same moment wait, then find nothing left to do.
    ///
    /// - Parameter progress: after each migration, how many of those to run are done, of how many.
    static func run(on executor: any SQLExecutor, progress: (Int, Int) -> Void = { _, _ in }) throws {
        let postgres = executor.dialect == .postgresql
        if postgres { _ = try executor.rows("SELECT pg_advisory_lock(726173652)", []) }
        defer { if postgres { _ = try? executor.rows("SELECT pg_advisory_unlock(726173652)", []) } }
        try inTransaction(executor) { try prepareLedger(executor) }
        let applied = Set(try executor.rows("SELECT name FROM \(ledger)", []).map { try $0.string("name") })
        let due = all.filter { !applied.contains($0.name) }
        for (index, migration) in due.enumerated() {
            try inTransaction(executor) {
                try migration.prepare(SchemaEditor(executor: executor))
                _ = try executor.execute(
                    "INSERT INTO \(ledger) (name, applied_at) VALUES (?, ?)", [.text(migration.name), .date(Date())])
            }
            progress(index + 1, due.count)
        }
    }

    /// Creates the ledger, carrying over what an earlier version's Fluent ledger recorded.
    private static func prepareLedger(_ executor: any SQLExecutor) throws {
        guard try !tableExists(ledger, executor) else { return }
        try SchemaEditor(executor: executor).create(TableDefinition(ledger).key("name", .text).required("applied_at", .date))
        if try tableExists(fluentLedger, executor) {
            _ = try executor.execute(
                "INSERT INTO \(ledger) (name, applied_at) SELECT name, created_at FROM \(fluentLedger) WHERE created_at IS NOT NULL",
                [])
            _ = try executor.execute(
                "INSERT INTO \(ledger) (name, applied_at) SELECT name, ? FROM \(fluentLedger) WHERE created_at IS NULL",
                [.date(Date())])
        }
    }

    private static func inTransaction(_ executor: any SQLExecutor, _ body: () throws -> Void) throws {
        _ = try executor.execute(executor.dialect == .postgresql ? "BEGIN" : "BEGIN IMMEDIATE", [])
        do {
            try body()
            _ = try executor.execute("COMMIT", [])
        } catch {
            _ = try? executor.execute("ROLLBACK", [])
            throw error
        }
    }
}
