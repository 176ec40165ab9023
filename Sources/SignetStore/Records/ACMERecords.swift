import Foundation
import SignetCore

/// An External Account Binding key: the key id a client sends, its HMAC key sealed with the
/// server's key, the container (and product) its account will belong to.
public struct ACMEExternalAccountKey: Sendable, Equatable {
    public var id: Int
    public var keyID: String
    public var sealedKey: String
    public var containerID: Int
    public var productNameID: String?
    /// The organization the account's OV and EV orders are for.
    public var organizationID: Int?
    public var requiresApproval: Bool
    /// The account that used it (a key binds one account).
    public var accountID: Int?
    public var dateCreated: Date
}

/// An ACME account: its key (as a JWK and its RFC 7638 thumbprint), status and contacts, and the
/// container user it acts as.
public struct ACMEAccount: Sendable, Equatable {
    public var id: Int
    public var containerID: Int
    public var userID: Int
    public var thumbprint: String
    public var jwkJSON: String
    public var status: ACMEAccountStatus
    public var contact: [String]
    public var eabKeyID: Int?
    public var dateCreated: Date
}

/// One challenge of one identifier of an ACME order.
public struct ACMEChallenge: Sendable, Equatable {
    public var id: Int
    public var orderID: Int
    public var name: String
    public var type: DCVMethod
    public var token: String
    public var status: ACMEChallengeStatus
    /// The problem document of a failed validation.
    public var errorJSON: String?
    public var validatedAt: Date?
}

private struct EABKeyRow: Codable, Sendable {
    var id: Int?
    var keyId: String
    var sealedKey: String
    var containerId: Int
    var productNameId: String?
    var organizationId: Int?
    var requiresApproval: Bool
    var accountId: Int?
    var dateCreated: Date

    var record: ACMEExternalAccountKey {
        ACMEExternalAccountKey(
            id: id ?? 0, keyID: keyId, sealedKey: sealedKey, containerID: containerId, productNameID: productNameId,
            organizationID: organizationId, requiresApproval: requiresApproval, accountID: accountId,
            dateCreated: dateCreated)
    }
}

private struct ACMEAccountRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var userId: Int
    var thumbprint: String
    var jwkJson: String
    var status: String
    var contactJson: String
    var eabKeyId: Int?
    var dateCreated: Date

    func record() throws -> ACMEAccount {
        guard let status = ACMEAccountStatus(rawValue: status) else {
            throw StoreError.inconsistent("ACME account \(id ?? 0) has an unknown status")
        }
        return ACMEAccount(
            id: id ?? 0, containerID: containerId, userID: userId, thumbprint: thumbprint, jwkJSON: jwkJson, status: status,
            contact: try JSONColumn.decode([String].self, from: contactJson), eabKeyID: eabKeyId, dateCreated: dateCreated)
    }
}

private struct ACMEChallengeRow: Codable, Sendable {
    var id: Int?
    var orderId: Int
    var name: String
    var type: String
    var token: String
    var status: String
    var errorJson: String?
    var validatedAt: Date?

    func record() throws -> ACMEChallenge {
        guard let type = DCVMethod(rawValue: type), type.isACMEChallenge, let status = ACMEChallengeStatus(rawValue: status)
        else { throw StoreError.inconsistent("ACME challenge \(id ?? 0) has an unknown type or status") }
        return ACMEChallenge(
            id: id ?? 0, orderID: orderId, name: name, type: type, token: token, status: status, errorJSON: errorJson,
            validatedAt: validatedAt)
    }
}

private struct ACMEOrderProfileRow: Codable, Sendable {
    var orderId: Int
    var profile: String
}

private struct DeactivatedAuthorizationRow: Codable, Sendable {
    var orderId: Int
    var name: String
    var dateDeactivated: Date
}

extension StoreSession {
    public func acmeExternalAccountKey(keyID: String) throws -> ACMEExternalAccountKey? {
        try first(EABKeyRow.self, "SELECT * FROM acme_eab_keys WHERE key_id = ?", [keyID])?.record
    }

    public func acmeExternalAccountKey(id: Int) throws -> ACMEExternalAccountKey? {
        try first(EABKeyRow.self, "SELECT * FROM acme_eab_keys WHERE id = ?", [id])?.record
    }

    public func acmeExternalAccountKeys() throws -> [ACMEExternalAccountKey] {
        try all(EABKeyRow.self, "SELECT * FROM acme_eab_keys ORDER BY id").map(\.record)
    }

    public func acmeAccount(id: Int) throws -> ACMEAccount? {
        try first(ACMEAccountRow.self, "SELECT * FROM acme_accounts WHERE id = ?", [id])?.record()
    }

    public func acmeAccount(userID: Int) throws -> ACMEAccount? {
        try first(ACMEAccountRow.self, "SELECT * FROM acme_accounts WHERE user_id = ?", [userID])?.record()
    }

    public func acmeAccount(thumbprint: String) throws -> ACMEAccount? {
        try first(ACMEAccountRow.self, "SELECT * FROM acme_accounts WHERE thumbprint = ?", [thumbprint])?.record()
    }

    public func acmeChallenges(orderID: Int) throws -> [ACMEChallenge] {
        try all(ACMEChallengeRow.self, "SELECT * FROM acme_challenges WHERE order_id = ? ORDER BY id", [orderID]).map {
            try $0.record()
        }
    }

    /// The profile an ACME order chose; `nil` for orders from before profiles were recorded.
    public func acmeProfile(orderID: Int) throws -> String? {
        try rows("SELECT profile FROM acme_order_profiles WHERE order_id = ?", [orderID]).first?.string("profile")
    }

    /// The names whose authorizations on order `orderID` the account deactivated.
    public func deactivatedACMEAuthorizations(orderID: Int) throws -> Set<String> {
        Set(
            try rows("SELECT name FROM acme_deactivated_authorizations WHERE order_id = ?", [orderID]).map {
                try $0.string("name")
            })
    }

    /// ACME orders opened before `date` that never got their CSR and are still open: past their
    /// expiry (RFC 8555 7.1.3), to be withdrawn and credited back.
    public func expiredACMEOrderIDs(openedBefore date: Date, limit: Int) throws -> [Int] {
        try rows(
            "SELECT id FROM orders WHERE origin = ? AND certificate_id IS NULL AND status IN (?, ?) AND date_created < ? ORDER BY id LIMIT ?",
            [OrderOrigin.acme.rawValue, OrderStatus.pending.rawValue, OrderStatus.needsApproval.rawValue, date, limit]
        ).map { try $0.int("id") }
    }

    /// The ids of an account's orders (its user's orders placed through ACME), newest first.
    public func acmeOrderIDs(userID: Int, limit: Int) throws -> [Int] {
        try rows(
            "SELECT id FROM orders WHERE user_id = ? AND origin = ? ORDER BY id DESC LIMIT ?",
            [userID, OrderOrigin.acme.rawValue, limit]
        ).map { try $0.int("id") }
    }
}

extension StoreSession where Access == ReadWrite {
    public func insertACMEExternalAccountKey(
        keyID: String, sealedKey: String, containerID: Int, productNameID: String?, organizationID: Int?,
        requiresApproval: Bool, at date: Date
    ) throws -> ACMEExternalAccountKey {
        var row = EABKeyRow(
            keyId: keyID, sealedKey: sealedKey, containerId: containerID, productNameId: productNameID,
            organizationId: organizationID, requiresApproval: requiresApproval, dateCreated: date)
        row.id = try insert(into: "acme_eab_keys", row)
        return row.record
    }

    /// Records the profile an ACME order chose (draft-ietf-acme-profiles).
    public func recordACMEProfile(orderID: Int, profile: String) throws {
        try insertWithoutID(
            into: "acme_order_profiles", ACMEOrderProfileRow(orderId: orderID, profile: profile), onConflictDoNothing: true)
    }

    /// Binds an unused key to `accountID`; `false` when another account took it first.
    public func bindACMEExternalAccountKey(id: Int, accountID: Int) throws -> Bool {
        try execute("UPDATE acme_eab_keys SET account_id = ? WHERE id = ? AND account_id IS NULL", [accountID, id]) == 1
    }

    public func insertACMEAccount(
        containerID: Int, userID: Int, thumbprint: String, jwkJSON: String, contact: [String], eabKeyID: Int?, at date: Date
    ) throws -> ACMEAccount {
        let row = ACMEAccountRow(
            containerId: containerID, userId: userID, thumbprint: thumbprint, jwkJson: jwkJSON,
            status: ACMEAccountStatus.valid.rawValue,
            contactJson: try JSONColumn.encode(contact), eabKeyId: eabKeyID, dateCreated: date)
        var stored = row
        stored.id = try insert(into: "acme_accounts", row)
        return try stored.record()
    }

    public func updateACMEAccount(id: Int, status: ACMEAccountStatus, contact: [String]) throws {
        try execute(
            "UPDATE acme_accounts SET status = ?, contact_json = ? WHERE id = ?",
            [status.rawValue, try JSONColumn.encode(contact), id])
    }

    public func updateACMEAccountKey(id: Int, thumbprint: String, jwkJSON: String) throws {
        try execute("UPDATE acme_accounts SET thumbprint = ?, jwk_json = ? WHERE id = ?", [thumbprint, jwkJSON, id])
    }

    public func insertACMEChallenge(orderID: Int, name: String, type: DCVMethod, token: String) throws {
        _ = try insert(
            into: "acme_challenges",
            ACMEChallengeRow(
                orderId: orderID, name: name, type: type.rawValue, token: token, status: ACMEChallengeStatus.pending.rawValue))
    }

    /// Moves a challenge on, if it is still where `from` says: `false` when another request moved it first.
    public func updateACMEChallenge(
        id: Int, from: ACMEChallengeStatus, to status: ACMEChallengeStatus, errorJSON: String?, validatedAt: Date?
    ) throws -> Bool {
        guard from.canMove(to: status) else { return false }
        return try execute(
            "UPDATE acme_challenges SET status = ?, error_json = ?, validated_at = ? WHERE id = ? AND status = ?",
            [status.rawValue, errorJSON, validatedAt, id, from.rawValue]) == 1
    }

    /// Records that the account deactivated its authorization of `name` on order `orderID` (RFC 8555 7.5.2).
    public func deactivateACMEAuthorization(orderID: Int, name: String, at date: Date) throws {
        try insertWithoutID(
            into: "acme_deactivated_authorizations",
            DeactivatedAuthorizationRow(orderId: orderID, name: name, dateDeactivated: date), onConflictDoNothing: true)
    }
}
