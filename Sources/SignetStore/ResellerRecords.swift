import Foundation
import SQLKit
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

extension StoreConnection {
    // MARK: keys and nonces

    public func createResellerKey(accessKeyID: String, sealedSecret: String, userID: Int, name: String, at date: Date) async throws {
        _ = try await insert(
            into: "reseller_keys",
            ResellerKeyRow(
                accessKeyId: accessKeyID, sealedSecret: sealedSecret, userId: userID, name: name, isActive: true, dateCreated: date))
    }

    public func resellerKey(accessKeyID: String) async throws -> ResellerKey? {
        guard
            let row = try await sql.select().column("*").from("reseller_keys").where("access_key_id", .equal, accessKeyID)
                .where("is_active", .equal, true).first(decoding: ResellerKeyRow.self, with: Self.decoder)
        else { return nil }
        return ResellerKey(
            id: row.id ?? 0, accessKeyID: row.accessKeyId, sealedSecret: row.sealedSecret, userID: row.userId, name: row.name,
            isActive: row.isActive)
    }

    /// Records a nonce; `false` when this key used it before (a replay). Forgets nonces older than `forgetBefore`.
    public func useNonce(_ nonce: String, accessKeyID: String, at date: Date, forgetBefore: Date) async throws -> Bool {
        try await sql.delete(from: "reseller_nonces").where("seen_at", .lessThan, forgetBefore).run()
        let seen = try await sql.select().column("nonce").from("reseller_nonces").where("access_key_id", .equal, accessKeyID)
            .where("nonce", .equal, nonce).first()
        guard seen == nil else { return false }
        try await sql.insert(into: "reseller_nonces").columns("access_key_id", "nonce", "seen_at")
            .values(SQLBind(accessKeyID), SQLBind(nonce), SQLBind(date)).run()
        return true
    }

    // MARK: orders

    public func insertResellerOrder(_ order: ResellerOrder) async throws {
        try await sql.insert(into: "reseller_orders")
            .model(
                ResellerOrderRow(
                    orderId: order.orderID, accessKeyId: order.accessKeyID, serviceId: order.serviceID, detailsJson: order.detailsJSON),
                with: Self.encoder
            ).run()
    }

    public func resellerOrder(serviceID: String) async throws -> ResellerOrder? {
        try await sql.select().column("*").from("reseller_orders").where("service_id", .equal, serviceID)
            .first(decoding: ResellerOrderRow.self, with: Self.decoder)?.record
    }

    public func resellerOrder(orderID: Int) async throws -> ResellerOrder? {
        try await sql.select().column("*").from("reseller_orders").where("order_id", .equal, orderID)
            .first(decoding: ResellerOrderRow.self, with: Self.decoder)?.record
    }

    public func setResellerDetails(orderID: Int, _ json: String) async throws {
        try await sql.update("reseller_orders").set("details_json", to: json).where("order_id", .equal, orderID).run()
    }

    /// A page of a key's orders, newest first, and how many there are.
    public func resellerOrders(accessKeyID: String, offset: Int, limit: Int) async throws -> (orders: [ResellerOrder], total: Int) {
        let total = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("reseller_orders")
            .where("access_key_id", .equal, accessKeyID).first(decodingColumn: "total", as: Int.self) ?? 0
        let rows = try await sql.select().column("*").from("reseller_orders").where("access_key_id", .equal, accessKeyID)
            .orderBy("order_id", .descending).offset(offset).limit(limit).all(decoding: ResellerOrderRow.self, with: Self.decoder)
        return (rows.map(\.record), total)
    }

    // MARK: unique_id

    public func resellerRequest(accessKeyID: String, uniqueID: String) async throws -> ResellerRequestRecord? {
        guard
            let row = try await sql.select().column("*").from("reseller_requests").where("access_key_id", .equal, accessKeyID)
                .where("unique_id", .equal, uniqueID).first(decoding: ResellerRequestRow.self, with: Self.decoder)
        else { return nil }
        return ResellerRequestRecord(fingerprint: row.fingerprint, orderID: row.orderId, cost: Money(cents: row.costCents))
    }

    public func recordResellerRequest(
        accessKeyID: String, uniqueID: String, fingerprint: String, orderID: Int, cost: Money, at date: Date
    ) async throws {
        _ = try await insert(
            into: "reseller_requests",
            ResellerRequestRow(
                accessKeyId: accessKeyID, uniqueId: uniqueID, fingerprint: fingerprint, orderId: orderID, costCents: cost.cents,
                dateCreated: date))
    }

    // MARK: callbacks

    @discardableResult
    public func enqueueCallback(
        orderID: Int, accessKeyID: String, url: String, event: String, payload: String, at date: Date
    ) async throws -> Int {
        try await insert(
            into: "callbacks",
            CallbackRow(
                orderId: orderID, accessKeyId: accessKeyID, url: url, event: event, payload: payload, dateCreated: date,
                attempts: 0, nextAttemptAt: date))
    }

    /// Callbacks due for an attempt, oldest first.
    public func dueCallbacks(at date: Date, limit: Int) async throws -> [Callback] {
        try await sql.select().column("*").from("callbacks").where("next_attempt_at", .lessThanOrEqual, date)
            .where("delivered_at", .is, SQLLiteral.null).orderBy("next_attempt_at").orderBy("id").limit(limit)
            .lockingRows(skipLocked: true).all(decoding: CallbackRow.self, with: Self.decoder).map(\.record)
    }

    public func callbacks(orderID: Int) async throws -> [Callback] {
        try await sql.select().column("*").from("callbacks").where("order_id", .equal, orderID).orderBy("id")
            .all(decoding: CallbackRow.self, with: Self.decoder).map(\.record)
    }

    public func callback(id: Int) async throws -> Callback? {
        try await sql.select().column("*").from("callbacks").where("id", .equal, id)
            .first(decoding: CallbackRow.self, with: Self.decoder)?.record
    }

    /// Leases due callbacks to this delivery pass until `until`, so that no other pass sends them meanwhile.
    public func leaseCallbacks(ids: [Int], until: Date) async throws {
        guard !ids.isEmpty else { return }
        try await sql.update("callbacks").set("next_attempt_at", to: until).where("id", .in, ids).run()
    }

    /// Records an attempt: delivered, or scheduled again at `next` (`nil`: given up).
    public func recordCallbackAttempt(
        id: Int, at date: Date, status: Int?, error: String?, delivered: Bool, next: Date?
    ) async throws {
        try await sql.update("callbacks")
            .set("attempts", to: SQLBinaryExpression(SQLColumn("attempts"), .add, SQLLiteral.numeric("1")))
            .set("last_attempt_at", to: date).set("last_status", to: status).set("last_error", to: error)
            .set("delivered_at", to: delivered ? date : nil).set("next_attempt_at", to: delivered ? nil : next)
            .where("id", .equal, id).run()
    }
}
