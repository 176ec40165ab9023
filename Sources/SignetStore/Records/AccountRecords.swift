import Foundation
import SignetCore

/// What a ledger entry records.
public enum LedgerKind: String, Sendable, Codable {
    /// Money added by an administrator (`signet balance add`).
    case deposit
    /// The price of an order.
    case orderCharge = "order_charge"
    /// Money returned when an order is rejected, cancelled or refunded.
    case refund
    /// The balance set to a sum by an administrator (the test double), up or down.
    case adjustment
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
    var nameScope: String = NamePolicy.Scope.public.rawValue
    var singleLabelNames = false
    var localhostNames = false
    /// CIDR blocks, comma-separated.
    var privateTargets = ""

    var record: Container {
        let policy = NamePolicy(
            scope: NamePolicy.Scope(rawValue: nameScope) ?? .public, singleLabel: singleLabelNames, localhost: localhostNames,
            privateTargets: privateTargets.split(separator: ",").compactMap { IPRange(String($0)) })
        return Container(id: id ?? 0, name: name, parentID: parentId, isActive: isActive, namePolicy: policy)
    }
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
    var lastUsedAt: Date?
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

extension StoreSession {
    static var accountID: Int { 1 }

    // MARK: account and ledger

    /// The balance (a charge checks and debits it in one statement: ``debit(_:kind:orderID:note:at:)``).
    public func balance() throws -> Balance {
        guard let row = try first(AccountRow.self, "SELECT * FROM account WHERE id = ?", [Self.accountID]) else {
            throw StoreError.inconsistent("the account row is missing")
        }
        return Balance(
            balance: Money(cents: row.balanceCents), negativeLimit: Money(cents: row.negativeLimitCents),
            currency: row.currency)
    }

    public func accountSettings() throws -> AccountSettings {
        guard
            let row = try row(
                "SELECT users_may_skip_approval, approval_step, auto_approve_approvers FROM account WHERE id = ?",
                [Self.accountID])
        else {
            throw StoreError.inconsistent("the account row is missing")
        }
        guard let step = ApprovalStep(rawValue: try row.string("approval_step")) else {
            throw StoreError.inconsistent("the account's approval step is unknown")
        }
        return AccountSettings(
            usersMaySkipApproval: try row.bool("users_may_skip_approval"), approvalStep: step,
            autoApproveApprovers: try row.bool("auto_approve_approvers"))
    }

    /// The sum of every ledger line: always equal to the balance.
    public func ledgerSum() throws -> Money {
        // PostgreSQL sums BIGINT into NUMERIC; the cast keeps the result a 64-bit integer on both backends.
        let total = try row("SELECT COALESCE(CAST(SUM(amount_cents) AS BIGINT), 0) AS total FROM ledger_entries")?
            .int64("total")
        return Money(cents: total ?? 0)
    }

    public func ledger(orderID: Int) throws -> [LedgerEntry] {
        try all(LedgerRow.self, "SELECT * FROM ledger_entries WHERE order_id = ? ORDER BY id", [orderID]).map {
            LedgerEntry(
                id: $0.id ?? 0, amount: Money(cents: $0.amountCents), kind: LedgerKind(rawValue: $0.kind) ?? .deposit,
                orderID: $0.orderId, note: $0.note, dateCreated: $0.dateCreated)
        }
    }

    // MARK: containers

    public func containers() throws -> [Container] {
        try all(ContainerRow.self, "SELECT * FROM containers ORDER BY id").map(\.record)
    }

    public func container(id: Int) throws -> Container? {
        try first(ContainerRow.self, "SELECT * FROM containers WHERE id = ?", [id])?.record
    }

    // MARK: users and API keys

    public func user(id: Int) throws -> User? {
        try first(UserRow.self, "SELECT * FROM users WHERE id = ?", [id])?.record()
    }

    public func users(ids: [Int]) throws -> [Int: User] {
        let ids = Array(Set(ids))
        guard !ids.isEmpty else { return [:] }
        let rows = try all(UserRow.self, "SELECT * FROM users WHERE id IN \(Self.list(ids.count))", ids)
        return Dictionary(uniqueKeysWithValues: try rows.map { row in (row.id ?? 0, try row.record()) })
    }

    /// The stored hash and owner of an active API key, found by its public lookup part.
    public func apiKey(lookupID: String) throws -> (keyHash: String, user: User)? {
        guard
            let key = try first(
                APIKeyRow.self, "SELECT * FROM api_keys WHERE lookup_id = ? AND is_active = ?", [lookupID, true]),
            let user = try user(id: key.userId)
        else { return nil }
        return (key.keyHash, user)
    }

    /// Every API key, active or revoked, by id.
    public func apiKeys() throws -> [APIKeyListing] {
        let rows = try all(APIKeyRow.self, "SELECT * FROM api_keys ORDER BY id")
        let users = try users(ids: rows.map(\.userId))
        return rows.compactMap { row in
            guard let id = row.id, let user = users[row.userId] else { return nil }
            return APIKeyListing(
                id: id, lookupID: row.lookupId, name: row.name, user: user, dateCreated: row.dateCreated,
                lastUsedAt: row.lastUsedAt, isActive: row.isActive)
        }
    }
}

extension StoreSession where Access == ReadWrite {
    /// Creates the single account row on first start.
    public func ensureAccount(currency: String = "USD", negativeLimit: Money = .zero) throws {
        try insertWithoutID(
            into: "account",
            AccountRow(id: Self.accountID, balanceCents: 0, negativeLimitCents: negativeLimit.cents, currency: currency),
            onConflictDoNothing: true)
    }

    public func setAccountSettings(_ settings: AccountSettings) throws {
        try execute(
            "UPDATE account SET users_may_skip_approval = ?, approval_step = ?, auto_approve_approvers = ? WHERE id = ?",
            [
                settings.usersMaySkipApproval, settings.approvalStep.rawValue, settings.autoApproveApprovers,
                Self.accountID,
            ])
    }

    /// Adds `amount` (negative for a charge) to the balance and writes the ledger line, in the caller's transaction.
    @discardableResult
    public func post(_ amount: Money, kind: LedgerKind, orderID: Int?, note: String?, at date: Date) throws -> Int {
        try execute("UPDATE account SET balance_cents = balance_cents + ? WHERE id = ?", [amount.cents, Self.accountID])
        return try insert(
            into: "ledger_entries",
            LedgerRow(amountCents: amount.cents, kind: kind.rawValue, orderId: orderID, note: note, dateCreated: date))
    }

    /// Debits `amount` and writes the ledger line when the balance, with its negative limit, covers
    /// it; otherwise changes nothing and returns `false`. The check and the debit are one statement,
    /// which also holds the account row (PostgreSQL) until the transaction ends: no read before it.
    public func debit(_ amount: Money, kind: LedgerKind, orderID: Int?, note: String?, at date: Date) throws -> Bool {
        let charged = try execute(
            "UPDATE account SET balance_cents = balance_cents - ? WHERE id = ? AND balance_cents + negative_limit_cents >= ?",
            [amount.cents, Self.accountID, amount.cents])
        guard charged > 0 else { return false }
        try insert(
            into: "ledger_entries",
            LedgerRow(amountCents: -amount.cents, kind: kind.rawValue, orderId: orderID, note: note, dateCreated: date))
        return true
    }

    /// Sets a container's naming policy.
    public func setNamePolicy(containerID: Int, _ policy: NamePolicy) throws {
        try execute(
            "UPDATE containers SET name_scope = ?, single_label_names = ?, localhost_names = ?, private_targets = ? WHERE id = ?",
            [
                policy.scope.rawValue, policy.singleLabel, policy.localhost,
                policy.privateTargets.map(\.description).joined(separator: ","), containerID,
            ])
    }

    public func createContainer(name: String, parentID: Int?, at date: Date) throws -> Container {
        var row = ContainerRow(name: name, parentId: parentID, isActive: true, dateCreated: date)
        row.id = try insert(into: "containers", row)
        return row.record
    }

    public func createUser(
        containerID: Int, username: String, firstName: String, lastName: String, email: String, role: Role,
        isAPIOnly: Bool, at date: Date
    ) throws -> User {
        var row = UserRow(
            containerId: containerID, username: username, firstName: firstName, lastName: lastName, email: email,
            role: role.rawValue, isApiOnly: isAPIOnly, dateCreated: date)
        row.id = try insert(into: "users", row)
        return try row.record()
    }

    public func createAPIKey(userID: Int, name: String, lookupID: String, keyHash: String, at date: Date) throws {
        try insert(
            into: "api_keys",
            APIKeyRow(userId: userID, name: name, lookupId: lookupID, keyHash: keyHash, isActive: true, dateCreated: date))
    }

    /// Revokes API key `id`; `false` when there is no such active key.
    public func revokeAPIKey(id: Int) throws -> Bool {
        try execute("UPDATE api_keys SET is_active = ? WHERE id = ? AND is_active = ?", [false, id, true]) > 0
    }

    /// Records that the key with `lookupID` was used at `date`.
    public func recordAPIKeyUse(lookupID: String, at date: Date) throws {
        try execute("UPDATE api_keys SET last_used_at = ? WHERE lookup_id = ?", [date, lookupID])
    }
}
