import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// Operator commands: the first start, API keys, the validation shortcuts and deposits.
/// The command line and the tests drive Signet through these.
public struct Administration: Sendable {
    public let store: SignetStore
    public let clock: any WallClock
    public let policy: ValidityPolicy
    public let sealer: SecretSealer

    public init(store: SignetStore, clock: any WallClock, policy: ValidityPolicy = .cabForum, sealer: SecretSealer) {
        self.store = store
        self.clock = clock
        self.policy = policy
        self.sealer = sealer
    }

    /// Creates the account, the root container and the bootstrap administrator on a new database,
    /// writing the administrator's key to `adminKeyPath` (mode 0600). Returns whether it did.
    @discardableResult
    public func bootstrap(adminKeyPath: String) async throws -> Bool {
        let now = clock.now()
        return try await store.write { connection in
            try connection.ensureAccount()
            guard try connection.containers().isEmpty else { return false }
            let container = try connection.createContainer(name: "Signet", parentID: nil, at: now)
            let user = try connection.createUser(
                containerID: container.id, username: "admin", firstName: "Signet", lastName: "Administrator",
                email: "admin@signet.invalid", role: .administrator, isAPIOnly: true, at: now)
            let key = APIKeyFormat.generate()
            try connection.createAPIKey(
                userID: user.id, name: "bootstrap administrator", lookupID: key.lookupID, keyHash: key.hash, at: now)
            try SecretFile.write(key.key + "\n", to: adminKeyPath)
            return true
        }
    }

    /// Every API key (never the key itself), by id.
    public func apiKeys() async throws -> [APIKeyListing] {
        try await store.read { try $0.apiKeys() }
    }

    /// Revokes API key `id` (as `apiKeys()` lists it); it answers 401 once `Credentials` has let go of it,
    /// within 5 seconds.
    public func revokeAPIKey(id: Int) async throws {
        guard try await store.write({ try $0.revokeAPIKey(id: id) }) else {
            throw WorkflowError.apiKeyNotFound(id)
        }
    }

    /// Creates an API-only user with `role` and returns its new key (shown once, stored as a hash).
    public func createAPIKey(role: Role, name: String, containerID: Int? = nil) async throws -> (key: String, user: User) {
        let now = clock.now()
        let key = APIKeyFormat.generate()
        let trimmed = name.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw OrderRuleError.missingField("name") }
        return try await store.write { connection in
            let container: Int
            if let containerID {
                guard try connection.container(id: containerID) != nil else {
                    throw WorkflowError.containerNotFound(containerID)
                }
                container = containerID
            } else {
                guard let root = try connection.containers().first else {
                    throw StoreError.inconsistent("no container: the database was not bootstrapped")
                }
                container = root.id
            }
            let user = try connection.createUser(
                containerID: container, username: "\(trimmed)-\(key.lookupID.lowercased())", firstName: trimmed,
                lastName: "(API key)", email: "api-\(key.lookupID.lowercased())@signet.invalid", role: role,
                isAPIOnly: true, at: now)
            try connection.createAPIKey(
                userID: user.id, name: trimmed, lookupID: key.lookupID, keyHash: key.hash, at: now)
            return (key.key, user)
        }
    }

    /// Creates a reseller access key (an API-only user with the `user` role) and returns its id and secret (shown once).
    public func createResellerKey(name: String, containerID: Int? = nil) async throws -> (accessKeyID: String, secret: String) {
        let (_, user) = try await createAPIKey(role: .user, name: name, containerID: containerID)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        let accessKeyID = "AK" + String((0..<20).map { _ in alphabet[Int.random(in: alphabet.indices, using: &generator)] })
        let secret = String((0..<40).map { _ in alphabet[Int.random(in: alphabet.indices, using: &generator)] })
        let sealed = try sealer.seal(secret)
        let now = clock.now()
        try await store.write { connection in
            try connection.createResellerKey(accessKeyID: accessKeyID, sealedSecret: sealed, userID: user.id, name: name, at: now)
        }
        return (accessKeyID, secret)
    }

    /// Marks an organization validated at `level` for the reuse period in force. Returns the end of validity.
    @discardableResult
    public func validateOrganization(id: Int, level: ValidationLevel) async throws -> Date {
        let now = clock.now()
        let until = now.addingTimeInterval(Double(policy.organizationReuseDays(on: now)) * 86_400)
        try await store.write { connection in
            guard let organization = try connection.organization(id: id) else {
                throw WorkflowError.organizationNotFound(id)
            }
            // EV subjects carry the registration number (EV Guidelines 9.2.6).
            if level == .ev && (organization.details.registrationNumber ?? "").isEmpty {
                throw OrderRuleError.invalidValue(
                    field: "registration_number", reason: "EV validation needs the organization's registration number")
            }
            try connection.setOrganizationValidation(id: id, level: level, until: until)
        }
        return until
    }

    /// Marks a domain (and so every name under it) validated for the reuse period in force.
    @discardableResult
    public func validateDomain(name: String, containerID: Int? = nil) async throws -> DomainValidation {
        let domain: DNSName
        do {
            domain = try DNSName(name)
        } catch {
            throw OrderRuleError.invalidDNSName(name, error)
        }
        guard !domain.isWildcard else { throw OrderRuleError.invalidDNSName(name, .misplacedWildcard) }
        let now = clock.now()
        let until = now.addingTimeInterval(Double(policy.domainReuseDays(on: now)) * 86_400)
        return try await store.write { connection in
            let container: Int
            if let containerID {
                guard try connection.container(id: containerID) != nil else {
                    throw WorkflowError.containerNotFound(containerID)
                }
                container = containerID
            } else {
                guard let top = try connection.containers().first else {
                    throw StoreError.inconsistent("no container: the database was not bootstrapped")
                }
                container = top.id
            }
            return try connection.recordDomainValidation(
                name: domain.value, containerID: container, at: now, until: until)
        }
    }

    public func accountSettings() async throws -> AccountSettings {
        try await store.read { try $0.accountSettings() }
    }

    public func setAccountSettings(_ settings: AccountSettings) async throws {
        try await store.write { try $0.setAccountSettings(settings) }
    }

    /// The newest validation e-mails of the outbox, of `containerIDs` (all when `nil`).
    public func outbox(limit: Int, containerIDs: Set<Int>? = nil) async throws -> [DCVEmail] {
        try await store.read { try $0.emails(limit: limit, containerIDs: containerIDs) }
    }

    /// Ends the current validations of `name` in every container now, as if their reuse period had
    /// run out; returns how many ended.
    public func expireDomainValidations(name: String) async throws -> Int {
        let now = clock.now()
        return try await store.write { try $0.expireDomainValidations(name: name, at: now) }
    }

    /// The newest reseller callbacks, of order `orderID` or of all.
    public func recentCallbacks(orderID: Int?, limit: Int) async throws -> [Callback] {
        try await store.read { try $0.recentCallbacks(orderID: orderID, limit: limit) }
    }

    /// Queues callback `id` again with the same payload; the new callback's id, `nil` when there is no such callback.
    public func redeliverCallback(id: Int) async throws -> Int? {
        let now = clock.now()
        return try await store.write { try $0.redeliverCallback(id: id, at: now) }
    }

    /// Copies order `id` `count` times (a fixture for list benchmarks; nothing is charged or signed),
    /// committing every 20,000 orders, their counts folded in as it goes. Returns how many it stored.
    ///
    /// - Parameter progress: the copies stored so far, after each batch.
    public func seedCopies(ofOrder id: Int, count: Int, progress: (Int) -> Void = { _ in }) async throws -> Int {
        guard try await store.read({ try $0.order(id: id) }) != nil else { throw WorkflowError.orderNotFound(String(id)) }
        var stored = 0
        while stored < count {
            let batch = min(20_000, count - stored)
            stored += try await store.write { connection in
                let inserted = try connection.insertCopies(ofOrder: id, count: batch)
                try connection.foldOrderCountChanges()
                return inserted
            }
            progress(stored)
        }
        return stored
    }

    /// Revokes a retired issuing CA (`signet ca revoke`): the root's CRL and its OCSP answers list it
    /// from now on. The current issuing CAs cannot be revoked: rotate first, so that nothing new is
    /// issued under a revoked CA.
    public func revokeIssuer(id: String, reason: RevocationReason, authority: CertificateAuthority) async throws -> PublishedCRL {
        guard let issuer = authority.issuer(id: id) else { throw WorkflowError.certificateNotFound(id) }
        guard authority.offlineRootCRL == nil else {
            throw WorkflowError.forbidden(
                "the root is offline: revoke \(id) in a CRL ceremony and install its root.crl (docs/hsm.md)")
        }
        guard !issuer.isCurrent else {
            throw WorkflowError.forbidden("\(id) still issues certificates; run `signet ca rotate` first, then revoke it")
        }
        let now = clock.now()
        let serial = issuer.ca.certificate.serialNumber.bytes.drop(while: { $0 == 0 }).hexString
        let publisher = RevocationPublisher(authority: authority)
        try await store.write { connection in
            guard try connection.revokeIssuer(issuerID: id, serialNumber: serial, Revocation(date: now, reason: reason)) else {
                throw WorkflowError.certificateAlreadyRevoked(0)
            }
        }
        // The root's CRL now lists it: built and signed outside the transaction that recorded it.
        guard let crl = try await publisher.currentCRL(caID: authority.root.id, store: store, now: now) else {
            throw StoreError.inconsistent("the root's CRL could not be published")
        }
        return crl
    }

    /// Adds money to the account through the ledger.
    public func addBalance(_ amount: Money) async throws -> Balance {
        guard amount.cents > 0 else { throw OrderRuleError.invalidValue(field: "amount", reason: "must be positive") }
        let now = clock.now()
        return try await store.write { connection in
            try connection.post(amount, kind: .deposit, orderID: nil, note: "deposit", at: now)
            return try connection.balance()
        }
    }

    /// Sets the balance to `target` through one ledger adjustment (the test double's workflow).
    public func setBalance(_ target: Money) async throws -> Balance {
        let now = clock.now()
        return try await store.write { connection in
            let difference = target - (try connection.balance().balance)
            if difference.cents != 0 {
                try connection.post(difference, kind: .adjustment, orderID: nil, note: "balance set to \(target)", at: now)
            }
            return try connection.balance()
        }
    }
}
