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
    /// `valid` or `deactivated` (RFC 8555 7.1.2).
    public var status: String
    public var contact: [String]
    public var eabKeyID: Int?
    public var dateCreated: Date
}

/// One challenge of one identifier of an ACME order.
public struct ACMEChallenge: Sendable, Equatable {
    public var id: Int
    public var orderID: Int
    public var name: String
    /// `http-01`, `dns-01`, `tls-alpn-01`.
    public var type: String
    public var token: String
    /// `pending`, `processing`, `valid` or `invalid`.
    public var status: String
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
    var requiresApproval: Bool
    var accountId: Int?
    var dateCreated: Date

    var record: ACMEExternalAccountKey {
        ACMEExternalAccountKey(
            id: id ?? 0, keyID: keyId, sealedKey: sealedKey, containerID: containerId, productNameID: productNameId,
            requiresApproval: requiresApproval, accountID: accountId, dateCreated: dateCreated)
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
        ACMEAccount(
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

    var record: ACMEChallenge {
        ACMEChallenge(
            id: id ?? 0, orderID: orderId, name: name, type: type, token: token, status: status, errorJSON: errorJson,
            validatedAt: validatedAt)
    }
}

extension StoreSession {
    public func acmeExternalAccountKey(keyID: String) throws -> ACMEExternalAccountKey? {
        try first(EABKeyRow.self, "SELECT * FROM acme_eab_keys WHERE key_id = ?", [keyID])?.record
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
        try all(ACMEChallengeRow.self, "SELECT * FROM acme_challenges WHERE order_id = ? ORDER BY id", [orderID]).map(\.record)
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
        keyID: String, sealedKey: String, containerID: Int, productNameID: String?, requiresApproval: Bool, at date: Date
    ) throws -> ACMEExternalAccountKey {
        let row = EABKeyRow(
            keyId: keyID, sealedKey: sealedKey, containerId: containerID, productNameId: productNameID,
            requiresApproval: requiresApproval, dateCreated: date)
        return EABKeyRow(
            id: try insert(into: "acme_eab_keys", row), keyId: keyID, sealedKey: sealedKey, containerId: containerID,
            productNameId: productNameID, requiresApproval: requiresApproval, dateCreated: date
        ).record
    }

    /// Binds an unused key to `accountID`; `false` when another account took it first.
    public func bindACMEExternalAccountKey(id: Int, accountID: Int) throws -> Bool {
        try execute("UPDATE acme_eab_keys SET account_id = ? WHERE id = ? AND account_id IS NULL", [accountID, id]) == 1
    }

    public func insertACMEAccount(
        containerID: Int, userID: Int, thumbprint: String, jwkJSON: String, contact: [String], eabKeyID: Int?, at date: Date
    ) throws -> ACMEAccount {
        let row = ACMEAccountRow(
            containerId: containerID, userId: userID, thumbprint: thumbprint, jwkJson: jwkJSON, status: "valid",
            contactJson: try JSONColumn.encode(contact), eabKeyId: eabKeyID, dateCreated: date)
        var stored = row
        stored.id = try insert(into: "acme_accounts", row)
        return try stored.record()
    }

    public func updateACMEAccount(id: Int, status: String, contact: [String]) throws {
        try execute(
            "UPDATE acme_accounts SET status = ?, contact_json = ? WHERE id = ?", [status, try JSONColumn.encode(contact), id])
    }

    public func updateACMEAccountKey(id: Int, thumbprint: String, jwkJSON: String) throws {
        try execute("UPDATE acme_accounts SET thumbprint = ?, jwk_json = ? WHERE id = ?", [thumbprint, jwkJSON, id])
    }

    public func insertACMEChallenge(orderID: Int, name: String, type: String, token: String) throws {
        _ = try insert(
            into: "acme_challenges",
            ACMEChallengeRow(orderId: orderID, name: name, type: type, token: token, status: "pending"))
    }

    public func updateACMEChallenge(id: Int, status: String, errorJSON: String?, validatedAt: Date?) throws {
        try execute(
            "UPDATE acme_challenges SET status = ?, error_json = ?, validated_at = ? WHERE id = ?",
            [status, errorJSON, validatedAt, id])
    }
}
