import Foundation
import SignetCore
import SignetStore

/// The reseller API's access keys as the RA keeps them: their sealed secrets, the nonces they
/// used, and the queue of callbacks to their notify URLs. The reseller dialect checks signatures
/// and sends callbacks; what it records goes through here, never through a transaction of its own.
public struct ResellerAccounts: Sendable {
    let store: SignetStore
    let sealer: SecretSealer

    public init(store: SignetStore, sealer: SecretSealer) {
        self.store = store
        self.sealer = sealer
    }

    /// Records a nonce of `accessKeyID`; `false` when the key used it before (a replay).
    public func useNonce(_ nonce: String, accessKeyID: String, at now: Date, forgetBefore: Date) async throws -> Bool {
        do {
            return try await store.write { try $0.useNonce(nonce, accessKeyID: accessKeyID, at: now, forgetBefore: forgetBefore) }
        } catch StoreError.uniqueViolation {
            return false
        }
    }

    /// Leases due callbacks to the caller until `leaseUntil`, so that no other pass sends them meanwhile.
    public func leaseDueCallbacks(at now: Date, leaseUntil: Date, limit: Int = 20) async throws -> [Callback] {
        try await store.write { connection in
            let due = try connection.dueCallbacks(at: now, limit: limit)
            try connection.leaseCallbacks(ids: due.map(\.id), until: leaseUntil)
            return due
        }
    }

    /// The secret a callback of `accessKeyID` is signed with; `nil` once the key is gone.
    public func signingSecret(accessKeyID: String) async throws -> String? {
        guard let key = try await store.read({ try $0.resellerKey(accessKeyID: accessKeyID) }) else { return nil }
        return try sealer.open(key.sealedSecret)
    }

    /// Records a delivery attempt: delivered, or due again at `next` (`nil`: given up).
    public func recordCallbackAttempt(id: Int, at now: Date, status: Int?, error: String?, next: Date?) async throws {
        try await store.write {
            try $0.recordCallbackAttempt(id: id, at: now, status: status, error: error, delivered: error == nil, next: next)
        }
    }
}
