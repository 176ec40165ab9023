import FluentKit
import Foundation
import SQLKit

/// Group commit for SQLite: write transactions that arrive together share one `COMMIT`.
///
/// SQLite has one writer, and with `synchronous=FULL` every commit waits for the disk. Writers
/// queue here; whoever finds the queue idle leads: it takes up to `batchSize` waiting writers,
/// runs their bodies in a single transaction, commits once, and only then answers every writer
/// of the batch. When a body fails, the batch runs again with each body in a savepoint, so that
/// the failing one alone is undone, exactly as if it had had its own transaction. Nothing is
/// reported before it is durable.
final class GroupCommit: @unchecked Sendable {
    private struct Writer {
        let body: @Sendable (StoreConnection) async throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let batchSize: Int
    private let lock = NSLock()
    private var waiting: [Writer] = []
    private var leading = false

    init(batchSize: Int = 32) { self.batchSize = batchSize }

    func write<T: Sendable>(on database: any Database, _ body: @escaping @Sendable (StoreConnection) async throws -> T)
        async throws -> T
    {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            let leads = lock.withLock {
                waiting.append(Writer(body: { try await body($0) }, continuation: continuation))
                defer { leading = true }
                return !leading
            }
            if leads {
                // On the writer connection's event loop, where sqlite-nio answers each statement.
                Task(executorPreference: EventLoopTaskExecutor(database.eventLoop)) { await self.lead(database) }
            }
        }
        return value as! T
    }

    /// Runs batches until no writer waits.
    private func lead(_ database: any Database) async {
        while true {
            let batch: [Writer] = lock.withLock {
                let taken = Array(waiting.prefix(batchSize))
                waiting.removeFirst(taken.count)
                if taken.isEmpty { leading = false }
                return taken
            }
            if batch.isEmpty { return }
            await run(batch, on: database)
        }
    }

    /// Runs a batch optimistically, every body straight in the one transaction; if any body
    /// fails, that transaction is rolled back and the batch runs again with a savepoint around
    /// each body. Bodies usually succeed, and the two savepoint statements per body would cost a
    /// fifth of a typical order's statements. A body may run twice, as any retried write can;
    /// a certificate signed by the rolled-back run was never stored nor sent, and the rerun signs anew.
    private func run(_ batch: [Writer], on database: any Database) async {
        let outcomes = OutcomeList()
        do {
            try await database.transaction { transaction in
                let connection = StoreConnection(sql: transaction as! any SQLDatabase)
                for writer in batch { outcomes.append(.success(try await writer.body(connection))) }
            }
            for (writer, outcome) in zip(batch, outcomes.all) { writer.continuation.resume(with: outcome) }
        } catch {
            await runIsolated(batch, on: database)
        }
    }

    /// Runs a batch with each body in a savepoint of the one transaction: a body that fails
    /// rolls back to its savepoint and gets its error, the others commit.
    private func runIsolated(_ batch: [Writer], on database: any Database) async {
        let outcomes = OutcomeList()
        do {
            try await database.transaction { transaction in
                let sql = transaction as! any SQLDatabase
                for writer in batch {
                    try await sql.raw("SAVEPOINT signet_writer").run()
                    do {
                        outcomes.append(.success(try await writer.body(StoreConnection(sql: sql))))
                        try await sql.raw("RELEASE SAVEPOINT signet_writer").run()
                    } catch {
                        outcomes.append(.failure(error))
                        try await sql.raw("ROLLBACK TO SAVEPOINT signet_writer").run()
                        try await sql.raw("RELEASE SAVEPOINT signet_writer").run()
                    }
                }
            }
            for (writer, outcome) in zip(batch, outcomes.all) { writer.continuation.resume(with: outcome) }
        } catch {
            // The batch did not commit: a writer whose body failed gets its own error, every other one this.
            let known = outcomes.all
            for (index, writer) in batch.enumerated() {
                if index < known.count, case .failure(let own) = known[index] {
                    writer.continuation.resume(throwing: own)
                } else {
                    writer.continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// The outcomes of a batch, in order (appended inside the transaction closure, read after it).
private final class OutcomeList: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Result<any Sendable, any Error>] = []

    func append(_ outcome: Result<any Sendable, any Error>) { lock.withLock { outcomes.append(outcome) } }
    var all: [Result<any Sendable, any Error>] { lock.withLock { outcomes } }
}
