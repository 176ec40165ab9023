import Foundation
import SignetCore
import SignetStore

/// Resolves API keys to principals.
///
/// The database holds only hashes; a key is found by its public lookup part and its hash
/// compared in constant time. Verified keys are remembered for a few seconds, keyed by their
/// SHA-256, so that a busy client does not cost three queries per request. The cache runs on the
/// machine's monotonic time, not the server's clock: the test double moves that clock by months,
/// and a revoked key must stop working within the cache period whatever the clock says.
public final class APIKeyAuthenticator: @unchecked Sendable {
    private let store: SignetStore
    private let cacheLifetime: TimeInterval
    private let clock: any WallClock
    private let lock = NSLock()
    private var cache: [String: (principal: Principal, expires: TimeInterval)] = [:]

    public init(store: SignetStore, clock: any WallClock, cacheLifetime: TimeInterval = 5) {
        self.store = store
        self.clock = clock
        self.cacheLifetime = cacheLifetime
    }

    /// The principal for `key`, or `nil` when it is malformed, unknown or inactive.
    public func principal(for key: String) async throws -> Principal? {
        guard let lookupID = APIKeyFormat.lookupID(of: key) else { return nil }
        let digest = APIKeyFormat.hash(key)
        let uptime = ProcessInfo.processInfo.systemUptime
        if let hit = lock.withLock({ cache[digest] }), hit.expires > uptime { return hit.principal }
        let now = clock.now()
        let principal: Principal? = try await store.read { connection in
            guard let stored = try connection.apiKey(lookupID: lookupID),
                APIKeyFormat.matches(key, storedHash: stored.keyHash)
            else { return nil }
            let containers = try connection.containers()
            return Principal(user: stored.user, containers: containers, settings: try connection.accountSettings())
        }
        if let principal {
            // When it was last used, for `signet apikey list`: once per key per cache period. A failed
            // bookkeeping write must not refuse a valid key; the next cache miss writes it again.
            _ = try? await store.write { try $0.recordAPIKeyUse(lookupID: lookupID, at: now) }
            lock.withLock {
                if cache.count > 10_000 { cache.removeAll() }
                cache[digest] = (principal, uptime + cacheLifetime)
            }
        }
        return principal
    }
}
