/// Order counts per container and status, so that a list's `page.total` does not count a million
/// rows on every request.
///
/// Triggers on `orders` append each change (+1 / −1) to `order_count_changes`: an insert, never an
/// update of a shared row, so concurrent transactions on PostgreSQL never wait on one another for
/// it. The background pass folds the changes into `order_counts`; a read adds both, in one statement,
/// so it is exact at every moment.
struct CountOrdersByStatus: SchemaMigration {
    var name: String { "signet.CountOrdersByStatus.v4" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.create(
            TableDefinition("order_counts").required("container_id", .integer).required("status", .text)
                .required("total", .integer).primaryKey("container_id", "status"))
        try schema.create(
            TableDefinition("order_count_changes").required("container_id", .integer).required("status", .text)
                .required("delta", .integer))
        try schema.execute(
            "INSERT INTO order_counts (container_id, status, total) SELECT container_id, status, COUNT(*) FROM orders GROUP BY container_id, status"
        )
        for statement in schema.dialect == .postgresql ? Self.postgresTriggers : Self.sqliteTriggers {
            try schema.execute(statement)
        }
    }

    static let postgresTriggers = [
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

    static let sqliteTriggers = [
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
