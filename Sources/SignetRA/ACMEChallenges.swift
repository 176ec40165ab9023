import Crypto
import Foundation
import SignetCore
import SignetStore
import SignetValidation

/// Challenges (RFC 8555 8): which an identifier is offered, and checking one the client says is
/// ready through the validation module.
extension ACMEAuthority {
    /// The challenge types an identifier can be validated by: a wildcard by DNS only (RFC 8555
    /// 7.1.3), an address by HTTP and TLS-ALPN only (RFC 8738).
    static func challengeTypes(for name: String) -> [DCVMethod] {
        if name.hasPrefix("*.") { return [.dns01, .dnsAccount01, .dnsPersist01] }
        if CertificateNames.isIPAddress(name) { return [.http01, .tlsALPN01] }
        return [.http01, .tlsALPN01, .dns01, .dnsAccount01, .dnsPersist01]
    }

    /// A challenge token: 32 random bytes, base64url (RFC 8555 8.1: at least 128 bits).
    static func token() -> String {
        Base64URL.encode(SecureRandom.bytes(32))
    }

    /// Checks a challenge the client says is ready (RFC 8555 7.5.1), now, through the validation
    /// module. A success validates the identifier (and issues what became ready); a failure makes
    /// the challenge, its authorization and its order invalid, and the order is withdrawn and
    /// credited back, as an ACME order that failed validation is over. Returns the challenge as
    /// it stands after the check.
    ///
    /// - Parameter state: the order as the caller read it for this request.
    public func respond(
        to state: ACMEOrderState, name: String, type: DCVMethod, keyAuthorization: String, account: ACMEAccount
    ) async throws -> ACMEChallenge {
        guard let identifier = state.identifiers.first(where: { $0.name == name }),
            let challenge = identifier.challenges.first(where: { $0.type == type })
        else { throw ACMEError.malformed("the order has no \(type.rawValue) challenge for \(name)") }
        guard challenge.status == .pending, identifier.status == .pending, state.status == .pending else {
            return challenge
        }
        let targets = try await principal(of: account).0.namePolicy(of: state.order.containerID)
        let outcome = try await check(challenge, keyAuthorization: keyAuthorization, account: account, targets: targets)
        if let recorded = try await record(outcome, of: challenge, account: account) { return recorded }
        // Another request decided the challenge first: its outcome stands.
        let current = try await orderState(orderID: state.order.id, account: account)
        return current.identifiers.first { $0.name == name }?.challenges.first { $0.type == type } ?? challenge
    }

    /// What the validation module finds for `challenge` now.
    func check(
        _ challenge: ACMEChallenge, keyAuthorization: String, account: ACMEAccount, targets: NamePolicy
    ) async throws -> DCVOutcome {
        let checker = registration.domainControl.checker
        let name = challenge.name
        switch challenge.type {
        case .http01:
            return await checker.http01(
                name: name, token: challenge.token, keyAuthorization: keyAuthorization, targets: targets)
        case .tlsALPN01:
            return await checker.tlsALPN01(name: name, keyAuthorization: keyAuthorization, targets: targets)
        case .dns01:
            return await checker.dns01(name: name, digest: Self.digest(keyAuthorization))
        case .dnsAccount01:
            return await checker.dnsAccount01(
                name: name, digest: Self.digest(keyAuthorization), accountURL: accountURL(account))
        case .dnsPersist01:
            return await checker.dnsPersist01(
                name: name, issuers: issuerDomainNames, accountURL: accountURL(account), now: clock.now())
        default:
            throw ACMEError.malformed("\(challenge.type.rawValue) is not offered")
        }
    }

    /// Records a check's outcome: a success makes the challenge valid and validates its name; a
    /// failure makes it invalid and withdraws the order (unless `failureEndsOrder` is off: a
    /// look for a standing dns-persist-01 record that is not there yet changes nothing).
    ///
    /// - Returns: the challenge as recorded; `nil` when another request moved it on first, in
    ///   which case this outcome changed nothing.
    @discardableResult
    func record(
        _ outcome: DCVOutcome, of challenge: ACMEChallenge, account: ACMEAccount, failureEndsOrder: Bool = true
    ) async throws -> ACMEChallenge? {
        let now = clock.now()
        var recorded = challenge
        recorded.validatedAt = now
        switch outcome {
        case .passed:
            // The challenge and its name's validation in one transaction.
            do {
                try await registration.domainControl.record(
                    [DomainControl.NameResult(name: challenge.name, method: challenge.type.rawValue, outcome: outcome)],
                    orderID: challenge.orderID, at: now, attachment: PassedChallenge(id: challenge.id))
            } catch is ChallengeMovedOn {
                return nil
            }
            recorded.status = .valid
        case .failed where !failureEndsOrder:
            return challenge
        case .failed(let failure):
            let problem = Self.problemJSON(type: challenge.type, failure: failure)
            let moved = try await store.write { connection -> Bool in
                guard
                    try connection.updateACMEChallenge(
                        id: challenge.id, from: .pending, to: .invalid, errorJSON: problem, validatedAt: now)
                else { return false }
                try self.withdraw(
                    orderID: challenge.orderID, by: account.userID, because: "ACME validation failed: \(failure.detail)",
                    connection: connection, at: now)
                return true
            }
            guard moved else { return nil }
            recorded.status = .invalid
            recorded.errorJSON = problem
        }
        return recorded
    }

    /// The dns-01 and dns-account-01 TXT value: base64url SHA-256 of the key authorization.
    static func digest(_ keyAuthorization: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(keyAuthorization.utf8))))
    }

    static func problemJSON(type: DCVMethod, failure: DCVFailure) -> String {
        let kind: String
        switch failure.kind {
        case .recordMissing, .tokenMismatch: return problem("incorrectResponse", failure.detail)
        case .nameNotFound, .lookupFailed: kind = [.dns01, .dnsAccount01, .dnsPersist01].contains(type) ? "dns" : "connection"
        case .fileNotFound, .redirect: kind = "incorrectResponse"
        case .unreachable: kind = "connection"
        case .tls: kind = "tls"
        }
        return problem(kind, failure.detail)
    }

    static func problem(_ kind: String, _ detail: String) -> String {
        // RFC 7807: `status` is a number (lego refuses a string).
        let object: [String: Any] = ["type": "urn:ietf:params:acme:error:\(kind)", "detail": detail, "status": 400]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 8555 7.5.2: the account gives up its authorization of `name`. An order that was not
    /// issued cannot be any more: it becomes `invalid`, and is withdrawn and credited back.
    public func deactivateAuthorization(orderID: Int, name: String, account: ACMEAccount) async throws -> ACMEOrderState {
        let state = try await orderState(orderID: orderID, account: account)
        guard let identifier = state.identifiers.first(where: { $0.name == name }) else {
            throw WorkflowError.orderNotFound(String(orderID))
        }
        guard identifier.status.canBeDeactivated else {
            throw ACMEError.malformed(
                "the authorization is \(identifier.status.rawValue); only a pending or valid one is deactivated")
        }
        let now = clock.now()
        try await store.write { connection in
            try connection.deactivateACMEAuthorization(orderID: orderID, name: name, at: now)
            try self.withdraw(
                orderID: orderID, by: account.userID, because: "the ACME account deactivated the authorization of \(name)",
                connection: connection, at: now)
        }
        return try await orderState(orderID: orderID, account: account)
    }

    /// Withdraws ACME orders that waited past their expiry without a CSR and credits them back:
    /// an ACME client does not come back to an expired order (RFC 8555 7.1.3). Returns how many.
    public func withdrawExpiredOrders(limit: Int = 100) async throws -> Int {
        let now = clock.now()
        let ids = try await store.read {
            try $0.expiredACMEOrderIDs(openedBefore: now.addingTimeInterval(-ACMEOrderState.lifetime), limit: limit)
        }
        for id in ids {
            try await store.write { connection in
                try self.withdraw(orderID: id, by: nil, because: "the ACME order expired", connection: connection, at: now)
            }
        }
        return ids.count
    }

    /// Ends an ACME order that was not issued (canceled) and credits back what it was charged; does
    /// nothing once it was issued or ended already, so that a repeat is harmless.
    func withdraw(
        orderID: Int, by processorID: Int?, because reason: String, connection: WriteSession, at now: Date
    ) throws {
        guard let order = try connection.order(id: orderID, forUpdate: true), [.needsApproval, .pending].contains(order.status)
        else { return }
        try registration.withdrawUnissued(
            order, as: .canceled, processorID: processorID ?? order.userID, comment: reason, connection: connection, now: now)
        try RegistrationAuthority.refundAll(
            orderID: orderID, note: "ACME order \(orderID): \(reason)", connection: connection, at: now)
    }
}

/// A challenge that passed, recorded with the validation of its name; when another request moved
/// the challenge on first, nothing is (the transaction rolls back with ``ChallengeMovedOn``).
private struct PassedChallenge: OrderAttachment {
    let id: Int

    func write(for order: Order, cost: Money, connection: WriteSession, at now: Date) throws {
        guard try connection.updateACMEChallenge(id: id, from: .pending, to: .valid, errorJSON: nil, validatedAt: now) else {
            throw ChallengeMovedOn()
        }
    }
}

/// Another request validated or failed the challenge first.
private struct ChallengeMovedOn: Error {}
