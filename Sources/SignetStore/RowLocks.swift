import SQLKit

/// `FOR UPDATE`, optionally `SKIP LOCKED`, on PostgreSQL; nothing on SQLite, whose single writer
/// already serializes the transactions that would take these locks.
struct RowLock: SQLExpression {
    let skipLocked: Bool

    func serialize(to serializer: inout SQLSerializer) {
        guard serializer.dialect.name == "postgresql" else { return }
        serializer.write(skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE")
    }
}

extension SQLSelectBuilder {
    /// Locks the selected rows until the transaction ends (PostgreSQL). With `skipLocked`, rows
    /// another transaction holds are left out: how instances share background jobs without doing one twice.
    func lockingRows(skipLocked: Bool = false) -> Self {
        select.lockingClause = RowLock(skipLocked: skipLocked)
        return self
    }
}
