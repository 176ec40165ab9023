import FluentKit
import SQLKit
import SignetCore

/// Order counts per container and status, so that a list's `page.total` does not count a million
/// rows on every request.
///
/// Triggers on `orders` append each change (+1 / −1) to `order_count_changes`: an insert, never an
/// update of a shared row, so concurrent transactions on PostgreSQL never wait on one another for
/// it. The background pass folds the changes into `order_counts`; a read adds both, in one statement,
/// so it is exact at every moment.
struct CountOrdersByStatus: AsyncMigration {
    var name: String { "signet.CountOrdersByStatus.v4" }

    func prepare(on database: any Database) async throws {
        try await database.schema("order_counts")
            .field("container_id", .int64, .required)
            .field("status", .string, .required)
            .field("total", .int64, .required)
            .compositeIdentifier(over: "container_id", "status")
            .create()
        try await database.schema("order_count_changes")
            .field("container_id", .int64, .required)
            .field("status", .string, .required)
            .field("delta", .int64, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw(
            "INSERT INTO order_counts (container_id, status, total) SELECT container_id, status, COUNT(*) FROM orders GROUP BY container_id, status"
        ).run()
        let statements: [SQLQueryString]
        if sql.dialect.name == "postgresql" {
            statements = [
                """
                CREATE FUNCTION signet_count_order_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.container_id = NEW.container_id THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN
                        INSERT INTO order_count_changes (container_id, status, delta) VALUES (OLD.container_id, OLD.status, -1);
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') THEN
                        INSERT INTO order_count_changes (container_id, status, delta) VALUES (NEW.container_id, NEW.status, 1);
                    END IF;
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER orders_count_change AFTER INSERT OR DELETE OR UPDATE OF status, container_id ON orders
                FOR EACH ROW EXECUTE FUNCTION signet_count_order_change()
                """,
            ]
        } else {
            statements = [
                """
                CREATE TRIGGER orders_count_insert AFTER INSERT ON orders BEGIN
                    INSERT INTO order_count_changes (container_id, status, delta) VALUES (NEW.container_id, NEW.status, 1);
                END
                """,
                """
                CREATE TRIGGER orders_count_update AFTER UPDATE OF status, container_id ON orders
                WHEN OLD.status IS NOT NEW.status OR OLD.container_id IS NOT NEW.container_id BEGIN
                    INSERT INTO order_count_changes (container_id, status, delta) VALUES (OLD.container_id, OLD.status, -1);
                    INSERT INTO order_count_changes (container_id, status, delta) VALUES (NEW.container_id, NEW.status, 1);
                END
                """,
                """
                CREATE TRIGGER orders_count_delete AFTER DELETE ON orders BEGIN
                    INSERT INTO order_count_changes (container_id, status, delta) VALUES (OLD.container_id, OLD.status, -1);
                END
                """,
            ]
        }
        for statement in statements { try await sql.raw(statement).run() }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER orders_count_change ON orders").run()
            try await sql.raw("DROP FUNCTION signet_count_order_change()").run()
        } else {
            for trigger in ["orders_count_insert", "orders_count_update", "orders_count_delete"] {
                try await sql.raw("DROP TRIGGER \(unsafeRaw: trigger)").run()
            }
        }
        try await database.schema("order_count_changes").delete()
        try await database.schema("order_counts").delete()
    }
}

extension StoreConnection {
    /// How many orders `containerIDs` (all when `nil`) hold in `status` (any when `nil`).
    func orderCount(containerIDs: Set<Int>?, status: OrderStatus?) async throws -> Int {
        var filter: SQLQueryString = "WHERE 1 = 1"
        if let containerIDs { filter = filter + " AND container_id IN (\(binds: Array(containerIDs)))" }
        if let status { filter = filter + " AND status = \(bind: status.rawValue)" }
        let query: SQLQueryString = """
            SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) AS total FROM (
                SELECT total FROM order_counts \(filter) UNION ALL SELECT delta AS total FROM order_count_changes \(filter)
            ) AS counted
            """
        return try await sql.raw(query).first(decodingColumn: "total", as: Int.self) ?? 0
    }

    /// Folds the changes the triggers appended into the counts. Atomic against concurrent orders:
    /// on PostgreSQL the changes are deleted and added in one statement, on SQLite in one write
    /// transaction, which no other writer interleaves.
    public func foldOrderCountChanges() async throws {
        if sql.dialect.name == "postgresql" {
            try await sql.raw(
                """
                WITH moved AS (DELETE FROM order_count_changes RETURNING container_id, status, delta)
                INSERT INTO order_counts (container_id, status, total)
                SELECT container_id, status, SUM(delta) FROM moved GROUP BY container_id, status
                ON CONFLICT (container_id, status) DO UPDATE SET total = order_counts.total + excluded.total
                """
            ).run()
            return
        }
        try await sql.raw(
            """
            INSERT INTO order_counts (container_id, status, total)
            SELECT container_id, status, SUM(delta) FROM order_count_changes WHERE true GROUP BY container_id, status
            ON CONFLICT (container_id, status) DO UPDATE SET total = order_counts.total + excluded.total
            """
        ).run()
        try await sql.raw("DELETE FROM order_count_changes").run()
    }
}
