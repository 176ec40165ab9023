import Foundation
import SQLKit
import SignetCore

/// What a ledger entry records.
public enum LedgerKind: String, Sendable, Codable {
    /// Money added by an administrator (`signet balance add`).
    case deposit
    /// The price of an order.
    case orderCharge = "order_charge"
    /// Money returned when an order is rejected, cancelled or refunded.
    case refund
}

/// One line of the ledger.
public struct LedgerEntry: Sendable, Equatable {
    public var id: Int
    public var amount: Money
    public var kind: LedgerKind
    public var orderID: Int?
    public var note: String?
    public var dateCreated: Date
}

struct ContainerRow: Codable, Sendable {
    var id: Int?
    var name: String
    var parentId: Int?
    var isActive: Bool
    var dateCreated: Date

    var record: Container { Container(id: id ?? 0, name: name, parentID: parentId, isActive: isActive) }
}

struct UserRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var username: String
    var firstName: String
    var lastName: String
    var email: String
    var role: String
    var isApiOnly: Bool
    var dateCreated: Date

    func record() throws -> User {
        guard let role = Role(rawValue: role) else { throw StoreError.inconsistent("unknown role \(role)") }
        return User(
            id: id ?? 0, containerID: containerId, username: username, firstName: firstName, lastName: lastName,
            email: email, role: role, isAPIOnly: isApiOnly, dateCreated: dateCreated)
    }
}

struct APIKeyRow: Codable, Sendable {
    var id: Int?
    var userId: Int
    var name: String
    var lookupId: String
    var keyHash: String
    var isActive: Bool
    var dateCreated: Date
}

struct LedgerRow: Codable, Sendable {
    var id: Int?
    var amountCents: Int64
    var kind: String
    var orderId: Int?
    var note: String?
    var dateCreated: Date
}

private struct AccountRow: Codable, Sendable {
    var id: Int
    var balanceCents: Int64
    var negativeLimitCents: Int64
    var currency: String
}

extension StoreConnection {
    static let accountID = 1

    // MARK: account and ledger

    /// Creates the single account row on first start.
    public func ensureAccount(currency: String = "USD", negativeLimit: Money = .zero) async throws {
        try await sql.insert(into: "account")
            .model(
                AccountRow(id: Self.accountID, balanceCents: 0, negativeLimitCents: negativeLimit.cents, currency: currency),
                with: Self.encoder
            )
            .ignoringConflicts(with: "id")
            .run()
    }

    /// The balance (a charge checks and debits it in one statement: ``debit(_:kind:orderID:note:at:)``).
    public func balance() async throws -> Balance {
        let query = sql.select().column("*").from("account").where("id", .equal, Self.accountID)
        guard let row = try await query.first(decoding: AccountRow.self, with: Self.decoder) else {
            throw StoreError.inconsistent("the account row is missing")
        }
        return Balance(
            balance: Money(cents: row.balanceCents), negativeLimit: Money(cents: row.negativeLimitCents),
            currency: row.currency)
    }

    public func accountSettings() async throws -> AccountSettings {
        struct Row: Decodable { var usersMaySkipApproval: Bool }
        let query = sql.select().column("users_may_skip_approval").from("account").where("id", .equal, Self.accountID)
        guard let row = try await query.first(decoding: Row.self, with: Self.decoder) else {
            throw StoreError.inconsistent("the account row is missing")
        }
        return AccountSettings(usersMaySkipApproval: row.usersMaySkipApproval)
    }

    public func setAccountSettings(_ settings: AccountSettings) async throws {
        try await sql.update("account").set("users_may_skip_approval", to: settings.usersMaySkipApproval)
            .where("id", .equal, Self.accountID).run()
    }

    /// Adds `amount` (negative for a charge) to the balance and writes the ledger line, in the caller's transaction.
    @discardableResult
    public func post(_ amount: Money, kind: LedgerKind, orderID: Int?, note: String?, at date: Date) async throws -> Int {
        try await sql.update("account")
            .set("balance_cents", to: SQLBinaryExpression(SQLColumn("balance_cents"), .add, SQLBind(amount.cents)))
            .where("id", .equal, Self.accountID)
            .run()
        return try await insert(
            into: "ledger_entries",
            LedgerRow(amountCents: amount.cents, kind: kind.rawValue, orderId: orderID, note: note, dateCreated: date))
    }

    /// Debits `amount` and writes the ledger line when the balance, with its negative limit, covers
    /// it; otherwise changes nothing and returns `false`. The check and the debit are one statement,
    /// which also holds the account row (PostgreSQL) until the transaction ends: no read before it.
    public func debit(_ amount: Money, kind: LedgerKind, orderID: Int?, note: String?, at date: Date) async throws -> Bool {
        let charged = try await sql.update("account")
            .set("balance_cents", to: SQLBinaryExpression(SQLColumn("balance_cents"), .subtract, SQLBind(amount.cents)))
            .where("id", .equal, Self.accountID)
            .where(
                SQLBinaryExpression(SQLColumn("balance_cents"), .add, SQLColumn("negative_limit_cents")),
                .greaterThanOrEqual, SQLBind(amount.cents)
            )
            .returning("balance_cents")
            .all()
        guard !charged.isEmpty else { return false }
        _ = try await insert(
            into: "ledger_entries",
            LedgerRow(amountCents: -amount.cents, kind: kind.rawValue, orderId: orderID, note: note, dateCreated: date))
        return true
    }

    /// The sum of every ledger line: always equal to the balance.
    public func ledgerSum() async throws -> Money {
        // PostgreSQL sums BIGINT into NUMERIC; the cast keeps the result a 64-bit integer on both backends.
        let sum = try await sql.select().column(SQLRaw("COALESCE(CAST(SUM(amount_cents) AS BIGINT), 0)"), as: "total")
            .from("ledger_entries").first(decodingColumn: "total", as: Int64.self)
        return Money(cents: sum ?? 0)
    }

    public func ledger(orderID: Int) async throws -> [LedgerEntry] {
        try await sql.select().column("*").from("ledger_entries").where("order_id", .equal, orderID).orderBy("id")
            .all(decoding: LedgerRow.self, with: Self.decoder)
            .map {
                LedgerEntry(
                    id: $0.id ?? 0, amount: Money(cents: $0.amountCents), kind: LedgerKind(rawValue: $0.kind) ?? .deposit,
                    orderID: $0.orderId, note: $0.note, dateCreated: $0.dateCreated)
            }
    }

    // MARK: containers

    public func createContainer(name: String, parentID: Int?, at date: Date) async throws -> Container {
        let row = ContainerRow(name: name, parentId: parentID, isActive: true, dateCreated: date)
        var stored = row
        stored.id = try await insert(into: "containers", row)
        return stored.record
    }

    public func containers() async throws -> [Container] {
        try await sql.select().column("*").from("containers").orderBy("id")
            .all(decoding: ContainerRow.self, with: Self.decoder).map(\.record)
    }

    public func container(id: Int) async throws -> Container? {
        try await sql.select().column("*").from("containers").where("id", .equal, id)
            .first(decoding: ContainerRow.self, with: Self.decoder)?.record
    }

    // MARK: users and API keys

    public func createUser(
        containerID: Int, username: String, firstName: String, lastName: String, email: String, role: Role,
        isAPIOnly: Bool, at date: Date
    ) async throws -> User {
        var row = UserRow(
            containerId: containerID, username: username, firstName: firstName, lastName: lastName, email: email,
            role: role.rawValue, isApiOnly: isAPIOnly, dateCreated: date)
        row.id = try await insert(into: "users", row)
        return try row.record()
    }

    public func user(id: Int) async throws -> User? {
        try await sql.select().column("*").from("users").where("id", .equal, id)
            .first(decoding: UserRow.self, with: Self.decoder)?.record()
    }

    public func users(ids: [Int]) async throws -> [Int: User] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select().column("*").from("users").where("id", .in, Array(Set(ids)))
            .all(decoding: UserRow.self, with: Self.decoder)
        return Dictionary(uniqueKeysWithValues: try rows.map { row in (row.id ?? 0, try row.record()) })
    }

    public func createAPIKey(userID: Int, name: String, lookupID: String, keyHash: String, at date: Date) async throws {
        _ = try await insert(
            into: "api_keys",
            APIKeyRow(userId: userID, name: name, lookupId: lookupID, keyHash: keyHash, isActive: true, dateCreated: date))
    }

    /// The stored hash and owner of an active API key, found by its public lookup part.
    public func apiKey(lookupID: String) async throws -> (keyHash: String, user: User)? {
        guard
            let key = try await sql.select().column("*").from("api_keys").where("lookup_id", .equal, lookupID)
                .where("is_active", .equal, true).first(decoding: APIKeyRow.self, with: Self.decoder),
            let user = try await user(id: key.userId)
        else { return nil }
        return (key.keyHash, user)
    }
}
