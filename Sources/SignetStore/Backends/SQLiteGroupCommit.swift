import Foundation
import GRDB

/// Group commit on SQLite's writer: write transactions that arrive together share one `COMMIT`,
/// and so one wait for the disk.
///
/// Writers queue here. Whoever finds the queue idle schedules a drain on GRDB's writer queue,
/// which takes up to `batchSize` waiting writers, runs each one's body in a savepoint of a single
/// `BEGIN IMMEDIATE` transaction, commits once, and only then answers every writer of the batch.
/// A body that throws rolls back to its savepoint and gets its own error; the others commit.
/// Nothing is reported before it is durable, and no body runs twice.
final class SQLiteGroupCommit: @unchecked Sendable {
    private let pool: DatabasePool
    private let batchSize: Int
    private let lock = NSLock()
    private var waiting: [any QueuedWrite] = []
    private var draining = false
    private var counters = (transactions: 0, writes: 0)

    init(pool: DatabasePool, batchSize: Int = 64) {
        self.pool = pool
        self.batchSize = batchSize
    }

    /// How many transactions committed and how many writes they carried (for tests and benchmarks).
    var statistics: (transactions: Int, writes: Int) { lock.withLock { counters } }

    func write<T: Sendable>(_ body: @escaping @Sendable (WriteSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let write = PendingWrite(body: body, continuation: continuation)
            let schedules = lock.withLock {
                waiting.append(write)
                defer { draining = true }
                return !draining
            }
            if schedules { pool.asyncWriteWithoutTransaction { database in self.drain(database) } }
        }
    }

    /// Commits batches until no writer waits.
    private func drain(_ database: Database) {
        while true {
            let batch: [any QueuedWrite] = lock.withLock {
                let taken = Array(waiting.prefix(batchSize))
                waiting.removeFirst(taken.count)
                if taken.isEmpty { draining = false }
                return taken
            }
            if batch.isEmpty { return }
            commit(batch, on: database)
        }
    }

    private func commit(_ batch: [any QueuedWrite], on database: Database) {
        var failures: [Int: any Error] = [:]
        let session = WriteSession(executor: SQLiteExecutor(database: database))
        do {
            try database.inTransaction(.immediate) {
                for (index, write) in batch.enumerated() {
                    // A throw from the savepoint itself (not from the body) fails the whole batch.
                    try database.inSavepoint {
                        do {
                            try write.run(session)
                            return .commit
                        } catch {
                            failures[index] = error
                            return .rollback
                        }
                    }
                }
                return .commit
            }
        } catch {
            for (index, write) in batch.enumerated() { write.fail(failures[index] ?? error) }
            return
        }
        lock.withLock {
            counters.transactions += 1
            counters.writes += batch.count - failures.count
        }
        for (index, write) in batch.enumerated() {
            if let failure = failures[index] { write.fail(failure) } else { write.succeed() }
        }
    }
}

/// A writer waiting in the queue, whatever its result type.
private protocol QueuedWrite: AnyObject {
    func run(_ session: WriteSession) throws
    func succeed()
    func fail(_ error: any Error)
}

private final class PendingWrite<T: Sendable>: QueuedWrite {
    private let body: @Sendable (WriteSession) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var result: T?

    init(body: @escaping @Sendable (WriteSession) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ session: WriteSession) throws { result = try body(session) }

    func succeed() {
        guard let result else {
            continuation.resume(throwing: StoreError.inconsistent("a write committed without a result"))
            return
        }
        continuation.resume(returning: result)
    }

    func fail(_ error: any Error) { continuation.resume(throwing: error) }
}
