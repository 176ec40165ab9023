import Foundation
import SignetCore
import SignetStore

/// An ACME account as a credential: the account, who it acts as, and the External Account
/// Binding key it was bound with (which names its product, organization and approval policy).
public struct ACMEAccountCredential: Sendable {
    public let account: ACMEAccount
    public let principal: Principal
    public let binding: ACMEExternalAccountKey?
}

/// The one way a credential a dialect received becomes a ``Principal``: an API key (CertCentral),
/// a reseller access key, an ACME account. Each resolves to a user of its container, whose role
/// says what it may do, through the same steps: find the credential, load its user, and see the
/// containers below the user's (``Principal/init(user:containers:settings:)``).
///
/// Resolved credentials are remembered for a few seconds so that a busy client does not cost
/// several queries per request. The memory runs on the machine's monotonic time, not the
/// server's clock: the test double moves that clock by months, and a revoked key must stop
/// working within the period whatever the clock says. A change made through this process (an
/// account deactivated or rekeyed, an API key revoked) forgets the credential at once.
public final class Credentials: @unchecked Sendable {
    private let store: SignetStore
    private let sealer: SecretSealer
    private let clock: any WallClock
    private let lifetime: TimeInterval
    private let lock = NSLock()
    private var remembered: [String: (value: any Sendable, expires: TimeInterval)] = [:]

    public init(store: SignetStore, sealer: SecretSealer, clock: any WallClock, lifetime: TimeInterval = 5) {
        self.store = store
        self.sealer = sealer
        self.clock = clock
        self.lifetime = lifetime
    }

    // MARK: the kinds of credential

    /// The principal of CertCentral API key `key`; `nil` when it is malformed, unknown or revoked.
    /// The database holds only hashes: the key is found by its public lookup part and its hash
    /// compared in constant time.
    public func apiKey(_ key: String) async throws -> Principal? {
        guard let lookupID = APIKeyFormat.lookupID(of: key) else { return nil }
        let now = clock.now()
        return try await resolve(Self.memoryKey(apiKey: key)) { connection -> Principal? in
            guard let stored = try connection.apiKey(lookupID: lookupID),
                APIKeyFormat.matches(key, storedHash: stored.keyHash)
            else { return nil }
            return try Self.principal(of: stored.user, connection: connection)
        } resolved: { _ in
            // When it was last used, for `signet apikey list`: once per key per period. A failed
            // bookkeeping write must not refuse a valid key; the next resolution writes it again.
            _ = try? await self.store.write { try $0.recordAPIKeyUse(lookupID: lookupID, at: now) }
        }
    }

    /// The principal of API key `key` when it was resolved within the period, without waiting:
    /// `nil` means "not remembered" (call ``apiKey(_:)``), never "refused".
    public func rememberedAPIKey(_ key: String) -> Principal? {
        guard APIKeyFormat.lookupID(of: key) != nil else { return nil }
        return remembered(Self.memoryKey(apiKey: key))
    }

    private static func memoryKey(apiKey key: String) -> String { "api-key \(APIKeyFormat.hash(key))" }

    /// The secret of reseller access key `accessKeyID` (the dialect checks the request's
    /// signature with it) and who the key acts as; `nil` when the key is unknown or its secret
    /// cannot be unsealed. The reseller API has no approval step: the operator who issued the
    /// key approved its orders.
    public func resellerKey(accessKeyID: String) async throws -> (secret: String, principal: Principal)? {
        let found = try await resolve("reseller-key \(accessKeyID)") { connection -> ResellerKeyCredential? in
            guard let key = try connection.resellerKey(accessKeyID: accessKeyID),
                let user = try connection.user(id: key.userID)
            else { return nil }
            var principal = try Self.principal(of: user, connection: connection)
            principal.maySkipApproval = true
            return ResellerKeyCredential(sealedSecret: key.sealedSecret, principal: principal)
        }
        guard let found, let secret = try? sealer.open(found.sealedSecret) else { return nil }
        return (secret, found.principal)
    }

    /// ACME account `id`, acting as its user: a manager of the container its binding named. Its
    /// binding, not the account's approval preferences, says whether its orders wait for approval.
    public func acmeAccount(id: Int) async throws -> ACMEAccountCredential? {
        try await resolve("acme-account \(id)") { connection -> ACMEAccountCredential? in
            guard let account = try connection.acmeAccount(id: id), let user = try connection.user(id: account.userID) else {
                return nil
            }
            var principal = try Self.principal(of: user, connection: connection)
            principal.skipsApprovalByDefault = false
            principal.acmeAccountID = account.id
            let binding = try account.eabKeyID.flatMap { try connection.acmeExternalAccountKey(id: $0) }
            return ACMEAccountCredential(account: account, principal: principal, binding: binding)
        }
    }

    /// Forgets ACME account `id`, after a change to it, so that the next request reads it again.
    public func forgetACMEAccount(id: Int) { forget("acme-account \(id)") }

    // MARK: the one mechanism

    /// The principal of `user`: their container and every one below it, with the account's
    /// approval preferences.
    static func principal(of user: User, connection: ReadSession) throws -> Principal {
        Principal(user: user, containers: try connection.containers(), settings: try connection.accountSettings())
    }

    /// The value remembered under `key`, else what `load` reads (remembered when found).
    private func resolve<Value: Sendable>(
        _ key: String, load: @escaping @Sendable (ReadSession) throws -> Value?,
        resolved: (Value) async -> Void = { _ in }
    ) async throws -> Value? {
        if let value: Value = remembered(key) { return value }
        let uptime = ProcessInfo.processInfo.systemUptime
        guard let value = try await store.read(load) else { return nil }
        await resolved(value)
        lock.withLock {
            if remembered.count > 10_000 { remembered.removeAll() }
            remembered[key] = (value, uptime + lifetime)
        }
        return value
    }

    private func remembered<Value>(_ key: String) -> Value? {
        let uptime = ProcessInfo.processInfo.systemUptime
        guard let hit = lock.withLock({ remembered[key] }), hit.expires > uptime else { return nil }
        return hit.value as? Value
    }

    private func forget(_ key: String) {
        _ = lock.withLock { remembered.removeValue(forKey: key) }
    }
}

/// A reseller access key as remembered: its secret stays sealed until it is used.
private struct ResellerKeyCredential: Sendable {
    let sealedSecret: String
    let principal: Principal
}
