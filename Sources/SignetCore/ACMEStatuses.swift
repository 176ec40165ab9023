import Foundation

/// A challenge's state (RFC 8555 7.1.6): `pending` until the client says it is ready, `processing`
/// while the check runs, then `valid` or `invalid` for good.
public enum ACMEChallengeStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case processing
    case valid
    case invalid

    public var isFinal: Bool { self == .valid || self == .invalid }

    /// pending → processing → valid | invalid. A check that ends within the client's request goes
    /// from pending to its result at once, as the RFC's diagram allows.
    public func canMove(to next: Self) -> Bool {
        switch (self, next) {
        case (.pending, .processing), (.pending, .valid), (.pending, .invalid), (.processing, .valid), (.processing, .invalid):
            return true
        default:
            return false
        }
    }
}

/// An authorization's state (RFC 8555 7.1.6): one identifier of one order.
public enum ACMEAuthorizationStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case valid
    case invalid
    case deactivated
    case expired
    case revoked

    /// Where an authorization stands: deactivated by its account whatever else holds; valid once its
    /// name is validated (by a challenge, the container's validated domains or a pre-authorization);
    /// invalid once a challenge failed; expired when its time ran out first; pending until then.
    public init(isValidated: Bool, challenges: [ACMEChallengeStatus], isDeactivated: Bool, isPastExpiry: Bool) {
        if isDeactivated {
            self = .deactivated
        } else if isValidated {
            self = .valid
        } else if challenges.contains(.invalid) {
            self = .invalid
        } else if isPastExpiry {
            self = .expired
        } else {
            self = .pending
        }
    }

    /// Every state but pending is final, except that a valid authorization may still be
    /// deactivated, expire or be revoked.
    public func canMove(to next: Self) -> Bool {
        switch self {
        case .pending: return next != .pending && next != .revoked
        case .valid: return [.deactivated, .expired, .revoked].contains(next)
        case .invalid, .deactivated, .expired, .revoked: return false
        }
    }

    /// Whether an account may deactivate it (RFC 8555 7.5.2: a pending or valid authorization).
    public var canBeDeactivated: Bool { canMove(to: .deactivated) }
}

/// An order's state as ACME reports it (RFC 8555 7.1.6), derived from the order's own status,
/// its authorizations and whether it has its CSR.
public enum ACMEOrderStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case ready
    case processing
    case valid
    case invalid

    /// - An issued order is `valid` (and stays so when its certificate is later revoked or expires).
    /// - A withdrawn or rejected order is `invalid`, as is one with an authorization that ended in
    ///   another state than valid, or one past its expiry without a CSR.
    /// - Finalized and not yet issued (approval, CAA): `processing`.
    /// - Otherwise `ready` when every authorization is valid, else `pending`.
    public init(order: OrderStatus, authorizations: [ACMEAuthorizationStatus], hasCSR: Bool, isPastExpiry: Bool) {
        switch order {
        case .issued, .reissuePending, .revoked, .expired:
            self = .valid
        case .canceled, .rejected:
            self = .invalid
        case .needsApproval, .pending:
            if authorizations.contains(where: { $0 != .valid && $0 != .pending }) {
                self = .invalid
            } else if hasCSR {
                self = .processing
            } else if isPastExpiry {
                self = .invalid
            } else {
                self = authorizations.allSatisfy { $0 == .valid } ? .ready : .pending
            }
        }
    }
}

/// An account's state (RFC 8555 7.1.6): `valid` until its holder deactivates it, or the server
/// revokes it; both are final.
public enum ACMEAccountStatus: String, Sendable, Codable, CaseIterable {
    case valid
    case deactivated
    case revoked
}
