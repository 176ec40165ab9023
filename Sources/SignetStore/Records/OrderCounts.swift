import SignetCore

extension StoreSession {
    /// How many orders `containerIDs` (all when `nil`) hold in `status` (any when `nil`): the kept
    /// counts plus the changes not yet folded into them, in one statement (migration
    /// ``CountOrdersByStatus`` says how they are kept).
    func orderCount(containerIDs: Set<Int>?, status: OrderStatus?) throws -> Int {
        var filter = "WHERE 1 = 1"
        var values: [any SQLBindable] = []
        if let containerIDs {
            filter += " AND container_id IN \(Self.list(containerIDs.count))"
            values = Self.binds(values, Array(containerIDs))
        }
        if let status {
            filter += " AND status = ?"
            values.append(status.rawValue)
        }
        return try count(
            """
            SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) AS total FROM (
                SELECT total FROM order_counts \(filter) UNION ALL SELECT delta AS total FROM order_count_changes \(filter)
            ) AS counted
            """,
            Self.binds(values, values))
    }

    /// Orders by status across the account, from the kept counts (the metrics' gauge; changes not
    /// folded yet are left for the next pass).
    public func orderCountsByStatus() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try rows("SELECT status, CAST(SUM(total) AS BIGINT) AS total FROM order_counts GROUP BY status") {
            counts[try row.string("status")] = try row.int("total")
        }
        return counts
    }

    /// Changes the triggers appended and the background pass has not folded yet (tests).
    func pendingOrderCountChanges() throws -> Int {
        try count("SELECT COUNT(*) AS n FROM order_count_changes")
    }
}

extension StoreSession where Access == ReadWrite {
    /// Folds the changes the triggers appended into the counts. Atomic against concurrent orders:
    /// on PostgreSQL the changes are deleted and added in one statement, on SQLite in one write
    /// transaction, which no other writer interleaves.
    public func foldOrderCountChanges() throws {
        if isPostgreSQL {
            try execute(
                """
                WITH moved AS (DELETE FROM order_count_changes RETURNING container_id, status, delta)
                INSERT INTO order_counts (container_id, status, total)
                SELECT container_id, status, SUM(delta) FROM moved GROUP BY container_id, status
                ON CONFLICT (container_id, status) DO UPDATE SET total = order_counts.total + excluded.total
                """)
            return
        }
        try execute(
            """
            INSERT INTO order_counts (container_id, status, total)
            SELECT container_id, status, SUM(delta) FROM order_count_changes WHERE true GROUP BY container_id, status
            ON CONFLICT (container_id, status) DO UPDATE SET total = order_counts.total + excluded.total
            """)
        try execute("DELETE FROM order_count_changes")
    }
}
