import Foundation
import GRDB

/// The embedded database: one SQLite file through GRDB, in WAL mode with `synchronous=FULL`.
///
/// Reads run on a pool of reader connections and never wait for the writer (WAL). Writes queue
/// for the one writer connection and share commits (``SQLiteGroupCommit``): every commit waits
/// for the disk, and SQLite has one writer anyway.
final class SQLiteBackend: Sendable {
    let pool: DatabasePool
    let writer: SQLiteGroupCommit

    /// Opens the pool; blocking file work, so callers run it off the cooperative pool (``open(path:)``).
    private init(path: String, readers: Int) throws {
        var configuration = Configuration()
        configuration.label = "signet"
        configuration.maximumReaderCount = readers
        // Another process (sqlite3, a backup) may hold the file for a moment.
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets the writer to NORMAL in WAL mode, which may lose the last commits on a power
        // loss; an acknowledged order must survive one.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        // Every write runs in a savepoint of a shared commit (``SQLiteGroupCommit``), and SQLite
        // keeps each savepoint's undo pages in a statement journal: on disk, that was a temporary
        // file created, written and deleted in every batch, more writes than the WAL itself.
        // In memory it is a few pages, gone at the commit; the durability is the WAL's alone. The
        // readers keep temporary files, so that a large sort never has to fit in memory.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA temp_store = MEMORY") }
        writer = SQLiteGroupCommit(pool: pool)
    }

    /// Opens the database on a thread of its own: opening reads and writes the file, and the
    /// cooperative pool's few threads must never wait for a disk.
    static func open(path: String, readers: Int = 8) async throws -> SQLiteBackend {
        try await OffPool.run { try SQLiteBackend(path: path, readers: readers) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (ReadSession) throws -> T) async throws -> T {
        try await pool.read { database in try body(ReadSession(executor: SQLiteExecutor(database: database))) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (WriteSession) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// Runs `body` on the writer outside any transaction: migrations, which manage their own
    /// transactions, at start before any request.
    func withWriter<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { database in try body(SQLiteExecutor(database: database)) }
    }

    func close() async throws {
        let pool = self.pool
        try await OffPool.run {
            // After a clean stop the main file holds everything and the WAL is empty, so that a
            // copy of signet.sqlite alone (without its -wal) is whole. A checkpoint that cannot
            // finish (another process reading) leaves the WAL to the next start, which loses nothing.
            _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            try pool.close()
        }
    }
}
