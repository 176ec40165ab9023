import Foundation
import GRDB

extension SignetStore {
    /// Copies the embedded database, as it stands at one moment, into a new SQLite file at `path`
    /// (SQLite's online backup, from one read transaction, while the server runs), then moves the
    /// WAL into the main file. `progress` gets the pages copied and the pages in all.
    public func backup(toFile path: String, progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        guard case .sqlite(let sqlite) = backend else {
            throw StoreError.unavailable("signet backup copies the embedded SQLite database; PostgreSQL has pg_dump")
        }
        let pool = sqlite.pool
        try await OffPool.run {
            let copy = try DatabaseQueue(path: path)
            // A hundred steps at most: a progress bar moves, and a large database is not read
            // from one huge step. Each step reads the same snapshot: the backup runs inside one
            // read transaction of the pool.
            let pages = try pool.read { try Int.fetchOne($0, sql: "PRAGMA page_count") } ?? 0
            try pool.backup(to: copy, pagesPerStep: CInt(clamping: max(64, pages / 100))) { step in
                progress(step.completedPageCount, step.totalPageCount)
            }
            try copy.close()
            _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
        }
    }
}
