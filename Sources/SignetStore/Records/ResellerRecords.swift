import Foundation
import SignetCore

/// A reseller's access key: the id it sends, its secret sealed with the server's key (HMAC
/// verification needs the secret itself, so it cannot be hashed), and the user it acts as.
public struct ResellerKey: Sendable, Equatable {
    public var id: Int
    public var accessKeyID: String
    public var sealedSecret: String
    public var userID: Int
    public var name: String
    public var isActive: Bool
}

/// What the reseller dialect keeps about an order beyond the core: its `service_id` and the
/// fields only this dialect has (period, per-domain DCV choices, notify URL, organization fields…).
public struct ResellerOrder: Sendable, Equatable {
    public var orderID: Int
    public var accessKeyID: String
    public var serviceID: String
    public var detailsJSON: String

    public init(orderID: Int, accessKeyID: String, serviceID: String, detailsJSON: String) {
        self.orderID = orderID
        self.accessKeyID = accessKeyID
        self.serviceID = serviceID
        self.detailsJSON = detailsJSON
    }
}

/// A call made under a `unique_id`: its fingerprint, the order it made or changed and what it cost.
public struct ResellerRequestRecord: Sendable, Equatable {
    public var fingerprint: String
    public var orderID: Int
    public var cost: Money
}

/// A notification waiting for (or done with) delivery to a reseller's `notify_url`.
public struct Callback: Sendable, Equatable {
    public var id: Int
    public var orderID: Int
    public var accessKeyID: String
    public var url: String
    public var event: String
    public var payload: String
    public var dateCreated: Date
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
    public var lastStatus: Int?
    public var lastError: String?
    public var lastAttemptAt: Date?
}

private struct ResellerKeyRow: Codable, Sendable {
    var id: Int?
    var accessKeyId: String
    var sealedSecret: String
    var userId: Int
    var name: String
    var isActive: Bool
    var dateCreated: Date
}

private struct ResellerOrderRow: Codable, Sendable {
    var orderId: Int
    var accessKeyId: String
    var serviceId: String
    var detailsJson: String

    var record: ResellerOrder {
        ResellerOrder(orderID: orderId, accessKeyID: accessKeyId, serviceID: serviceId, detailsJSON: detailsJson)
    }
}

private struct ResellerRequestRow: Codable, Sendable {
    var id: Int?
    var accessKeyId: String
    var uniqueId: String
    var fingerprint: String
    var orderId: Int
    var costCents: Int64
    var dateCreated: Date
}

private struct CallbackRow: Codable, Sendable {
    var id: Int?
    var orderId: Int
    var accessKeyId: String
    var url: String
    var event: String
    var payload: String
    var dateCreated: Date
    var attempts: Int
    var nextAttemptAt: Date?
    var deliveredAt: Date?
    var lastStatus: Int?
    var lastError: String?
    var lastAttemptAt: Date?

    var record: Callback {
        Callback(
            id: id ?? 0, orderID: orderId, accessKeyID: accessKeyId, url: url, event: event, payload: payload,
            dateCreated: dateCreated, attempts: attempts, nextAttemptAt: nextAttemptAt, deliveredAt: deliveredAt,
            lastStatus: lastStatus, lastError: lastError, lastAttemptAt: lastAttemptAt)
    }
}

extension StoreSession {
    // MARK: keys

    public func resellerKey(accessKeyID: String) throws -> ResellerKey? {
        guard
            let row = try first(
                ResellerKeyRow.self, "SELECT * FROM reseller_keys WHERE access_key_id = ? AND is_active = ?", [accessKeyID, true])
        else { return nil }
        return ResellerKey(
            id: row.id ?? 0, accessKeyID: row.accessKeyId, sealedSecret: row.sealedSecret, userID: row.userId, name: row.name,
            isActive: row.isActive)
    }

    // MARK: orders

    public func resellerOrder(serviceID: String) throws -> ResellerOrder? {
        try first(ResellerOrderRow.self, "SELECT * FROM reseller_orders WHERE service_id = ?", [serviceID])?.record
    }

    public func resellerOrder(orderID: Int) throws -> ResellerOrder? {
        try first(ResellerOrderRow.self, "SELECT * FROM reseller_orders WHERE order_id = ?", [orderID])?.record
    }

    /// The reseller records of `orderIDs` (a page of a list), by order, in one statement.
    public func resellerOrders(orderIDs: [Int]) throws -> [Int: ResellerOrder] {
        let ids = Array(Set(orderIDs))
        guard !ids.isEmpty else { return [:] }
        let rows = try all(ResellerOrderRow.self, "SELECT * FROM reseller_orders WHERE order_id IN \(Self.list(ids.count))", ids)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.orderId, $0.record) })
    }

    // MARK: unique_id

    public func resellerRequest(accessKeyID: String, uniqueID: String) throws -> ResellerRequestRecord? {
        guard
            let row = try first(
                ResellerRequestRow.self, "SELECT * FROM reseller_requests WHERE access_key_id = ? AND unique_id = ?",
                [accessKeyID, uniqueID])
        else { return nil }
        return ResellerRequestRecord(fingerprint: row.fingerprint, orderID: row.orderId, cost: Money(cents: row.costCents))
    }

    // MARK: callbacks

    public func callbacks(orderID: Int) throws -> [Callback] {
        try all(CallbackRow.self, "SELECT * FROM callbacks WHERE order_id = ? ORDER BY id", [orderID]).map(\.record)
    }

    public func callback(id: Int) throws -> Callback? {
        try first(CallbackRow.self, "SELECT * FROM callbacks WHERE id = ?", [id])?.record
    }

    /// The newest callbacks, of one order or all, newest first.
    public func recentCallbacks(orderID: Int?, limit: Int) throws -> [Callback] {
        guard let orderID else {
            return try all(CallbackRow.self, "SELECT * FROM callbacks ORDER BY id DESC LIMIT ?", [limit]).map(\.record)
        }
        return try all(
            CallbackRow.self, "SELECT * FROM callbacks WHERE order_id = ? ORDER BY id DESC LIMIT ?", [orderID, limit]
        ).map(\.record)
    }
}

extension StoreSession where Access == ReadWrite {
    public func createResellerKey(accessKeyID: String, sealedSecret: String, userID: Int, name: String, at date: Date) throws {
        try insert(
            into: "reseller_keys",
            ResellerKeyRow(
                accessKeyId: accessKeyID, sealedSecret: sealedSecret, userId: userID, name: name, isActive: true,
                dateCreated: date))
    }

    /// Records a nonce; `false` when this key used it before (a replay). Forgets nonces older than `forgetBefore`.
    public func useNonce(_ nonce: String, accessKeyID: String, at date: Date, forgetBefore: Date) throws -> Bool {
        try execute("DELETE FROM reseller_nonces WHERE seen_at < ?", [forgetBefore])
        let inserted = try execute(
            "INSERT INTO reseller_nonces (access_key_id, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [accessKeyID, nonce, date])
        return inserted > 0
    }

    public func insertResellerOrder(_ order: ResellerOrder) throws {
        try insertWithoutID(
            into: "reseller_orders",
            ResellerOrderRow(
                orderId: order.orderID, accessKeyId: order.accessKeyID, serviceId: order.serviceID, detailsJson: order.detailsJSON
            ))
    }

    public func setResellerDetails(orderID: Int, _ json: String) throws {
        try execute("UPDATE reseller_orders SET details_json = ? WHERE order_id = ?", [json, orderID])
    }

    public func recordResellerRequest(
        accessKeyID: String, uniqueID: String, fingerprint: String, orderID: Int, cost: Money, at date: Date
    ) throws {
        try insert(
            into: "reseller_requests",
            ResellerRequestRow(
                accessKeyId: accessKeyID, uniqueId: uniqueID, fingerprint: fingerprint, orderId: orderID, costCents: cost.cents,
                dateCreated: date))
    }

    @discardableResult
    public func enqueueCallback(
        orderID: Int, accessKeyID: String, url: String, event: String, payload: String, at date: Date
    )
        throws -> Int
    {
        try insert(
            into: "callbacks",
            CallbackRow(
                orderId: orderID, accessKeyId: accessKeyID, url: url, event: event, payload: payload, dateCreated: date,
                attempts: 0, nextAttemptAt: date))
    }

    /// Queues callback `id` again, as a new callback with the same payload due at `date`; its id,
    /// or `nil` when there is no such callback.
    public func redeliverCallback(id: Int, at date: Date) throws -> Int? {
        guard let original = try callback(id: id) else { return nil }
        return try enqueueCallback(
            orderID: original.orderID, accessKeyID: original.accessKeyID, url: original.url, event: original.event,
            payload: original.payload, at: date)
    }

    /// Callbacks due for an attempt, oldest first (locked on PostgreSQL, skipping those another instance holds).
    public func dueCallbacks(at date: Date, limit: Int) throws -> [Callback] {
        try all(
            CallbackRow.self,
            "SELECT * FROM callbacks WHERE next_attempt_at <= ? AND delivered_at IS NULL ORDER BY next_attempt_at, id LIMIT ?\(forUpdateSkipLocked)",
            [date, limit]
        ).map(\.record)
    }

    /// Leases due callbacks to this delivery pass until `until`, so that no other pass sends them meanwhile.
    public func leaseCallbacks(ids: [Int], until: Date) throws {
        guard !ids.isEmpty else { return }
        try execute("UPDATE callbacks SET next_attempt_at = ? WHERE id IN \(Self.list(ids.count))", Self.binds([until], ids))
    }

    /// Records an attempt: delivered, or scheduled again at `next` (`nil`: given up).
    public func recordCallbackAttempt(id: Int, at date: Date, status: Int?, error: String?, delivered: Bool, next: Date?) throws {
        try execute(
            """
            UPDATE callbacks SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?,
            next_attempt_at = ? WHERE id = ?
            """,
            [date, status, error, delivered ? date : nil, delivered ? nil : next, id])
    }
}
