import Foundation
import GRDB

/// A copy of the whole embedded database, kept in memory: the test double saves one after start
/// and restores it between a suite's tests (docs/test-double.md). SQLite only.
public final class StoreSnapshot: Sendable {
    let copy: DatabaseQueue

    init(copy: DatabaseQueue) { self.copy = copy }
}

extension SignetStore {
    /// Copies the database as it stands (SQLite's online backup; writers wait meanwhile).
    public func snapshot() async throws -> StoreSnapshot {
        guard case .sqlite(let sqlite) = backend else { throw StoreError.unavailable("snapshots need the embedded database") }
        let pool = sqlite.pool
        return try await OffPool.run {
            let copy = try DatabaseQueue()
            try pool.backup(to: copy)
            return StoreSnapshot(copy: copy)
        }
    }

    /// Puts the database back as `snapshot` holds it. Requests in flight may see either state.
    public func restore(_ snapshot: StoreSnapshot) async throws {
        guard case .sqlite(let sqlite) = backend else { throw StoreError.unavailable("snapshots need the embedded database") }
        let pool = sqlite.pool
        try await OffPool.run { try snapshot.copy.backup(to: pool) }
    }
}
