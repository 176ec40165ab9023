import Foundation

/// A division of the account. Users see the orders of their container and the containers below it.
public struct Container: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var parentID: Int?
    public var isActive: Bool
    /// Which names its certificates may carry (public by default).
    public var namePolicy: NamePolicy

    public init(id: Int, name: String, parentID: Int?, isActive: Bool = true, namePolicy: NamePolicy = .public) {
        self.id = id
        self.name = name
        self.parentID = parentID
        self.isActive = isActive
        self.namePolicy = namePolicy
    }
}

/// A user of the account. API keys belong to users; the user's role decides what a key may do.
public struct User: Sendable, Equatable {
    public var id: Int
    public var containerID: Int
    public var username: String
    public var firstName: String
    public var lastName: String
    public var email: String
    public var role: Role
    /// Users created for an API key only (CertCentral's "service users").
    public var isAPIOnly: Bool
    public var dateCreated: Date

    public init(
        id: Int, containerID: Int, username: String, firstName: String, lastName: String, email: String,
        role: Role, isAPIOnly: Bool, dateCreated: Date
    ) {
        self.id = id
        self.containerID = containerID
        self.username = username
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.role = role
        self.isAPIOnly = isAPIOnly
        self.dateCreated = dateCreated
    }
}

/// Who is calling: the user behind an authenticated API key.
///
/// A key sees its user's container and the containers below it, whatever its role: an
/// administrator of a sub-container administers that sub-container, not the account. Only users
/// of the top container see everything, including containers created after the key.
public struct Principal: Sendable, Equatable {
    public var user: User
    /// Containers the user may see: their own and every one below it.
    public var visibleContainerIDs: Set<Int>
    /// Whether the user's container is the top of the account.
    public var seesWholeAccount: Bool
    /// Whether the caller's orders, reissues and duplicates may skip the approval step: administrators
    /// and managers always, users where the account allows it (``AccountSettings``).
    public var maySkipApproval: Bool
    /// Whether they skip it without `skip_approval`, by the account's approval preferences.
    public var skipsApprovalByDefault: Bool
    /// The naming policies of the visible containers that are not public.
    public var namePolicies: [Int: NamePolicy] = [:]
    /// The ACME account the user acts for, when the credential is one (CAA `accounturi` names it).
    public var acmeAccountID: Int?

    public init(
        user: User, visibleContainerIDs: Set<Int>, seesWholeAccount: Bool = false, maySkipApproval: Bool? = nil,
        skipsApprovalByDefault: Bool = false
    ) {
        self.user = user
        self.visibleContainerIDs = visibleContainerIDs
        self.seesWholeAccount = seesWholeAccount
        self.maySkipApproval = maySkipApproval ?? user.role.mayApprove
        self.skipsApprovalByDefault = skipsApprovalByDefault
    }

    /// The principal of `user`, who sees their container and every container below it.
    public init(user: User, containers: [Container], settings: AccountSettings? = nil) {
        var visible: Set<Int> = [user.containerID]
        var changed = true
        while changed {
            changed = false
            for container in containers where container.parentID.map(visible.contains) == true {
                if visible.insert(container.id).inserted { changed = true }
            }
        }
        let isTop = containers.first { $0.id == user.containerID }.map { $0.parentID == nil } ?? false
        self.init(
            user: user, visibleContainerIDs: visible, seesWholeAccount: isTop,
            maySkipApproval: user.role.mayApprove || (settings?.usersMaySkipApproval ?? false),
            skipsApprovalByDefault: settings?.skipsApproval(for: user.role) ?? false)
        for container in containers where visible.contains(container.id) && container.namePolicy != .public {
            namePolicies[container.id] = container.namePolicy
        }
    }

    /// The naming policy of a container the caller sees (public for any other).
    public func namePolicy(of containerID: Int) -> NamePolicy {
        canSee(containerID: containerID) ? namePolicies[containerID] ?? .public : .public
    }

    public var role: Role { user.role }

    public func canSee(containerID: Int) -> Bool {
        seesWholeAccount || visibleContainerIDs.contains(containerID)
    }

    /// The containers a list may show: `nil` for all of them.
    public var containerFilter: Set<Int>? { seesWholeAccount ? nil : visibleContainerIDs }
}

/// A domain of the account: whether and until when its control was demonstrated, and how.
public struct DomainValidation: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var containerID: Int
    public var validatedAt: Date?
    public var validatedUntil: Date?
    public var dateCreated: Date
    /// Whether a validation covers the names under this one (not after an HTTP check, BR 3.2.2.4.18).
    public var coversSubdomains: Bool
    /// The DCV method chosen for it (CertCentral's name).
    public var method: String
    /// Its own random value, for domain-level DCV, and when that value expires.
    public var token: String?
    public var tokenExpires: Date?
    public var isActive: Bool
    public var organizationID: Int?
    /// Why the last check failed, for the customer.
    public var lastError: String?

    public init(
        id: Int, name: String, containerID: Int, validatedAt: Date?, validatedUntil: Date?, dateCreated: Date,
        coversSubdomains: Bool = true, method: String = "email", token: String? = nil, tokenExpires: Date? = nil,
        isActive: Bool = true, organizationID: Int? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.name = name
        self.containerID = containerID
        self.validatedAt = validatedAt
        self.validatedUntil = validatedUntil
        self.dateCreated = dateCreated
        self.coversSubdomains = coversSubdomains
        self.method = method
        self.token = token
        self.tokenExpires = tokenExpires
        self.isActive = isActive
        self.organizationID = organizationID
        self.lastError = lastError
    }

    public func isValid(at date: Date) -> Bool { isActive && (validatedUntil.map { $0 > date } ?? false) }

    /// Whether this validation, current at `date`, covers `name`.
    public func covers(_ name: DNSName, at date: Date) -> Bool {
        guard isValid(at: date) else { return false }
        // An address is validated as itself only.
        if CertificateNames.isIPAddress(name.value) { return name.value == self.name }
        return coversSubdomains ? name.isCovered(byValidatedDomain: self.name) : (!name.isWildcard && name.value == self.name)
    }
}

/// Where an order's domain control validation stands: its random value and, per name that needs
/// validation, the method and the last result. Kept with the order for order info and re-checks.
public struct OrderDCV: Sendable, Equatable, Codable {
    public struct NameState: Sendable, Equatable, Codable {
        public var method: String
        /// `pending` or `valid`.
        public var status: String
        /// Why the last check failed.
        public var detail: String?
        public var checkedAt: Date?
        /// The failure kind, for the dialect's error code.
        public var failure: String?

        public init(method: String, status: String, detail: String? = nil, checkedAt: Date? = nil, failure: String? = nil) {
            self.method = method
            self.status = status
            self.detail = detail
            self.checkedAt = checkedAt
            self.failure = failure
        }
    }

    /// The order-level random value (`dcv_random_value`), which validates every name of the order.
    public var randomValue: String
    public var expires: Date
    public var attempts: Int
    public var names: [String: NameState]
    /// Why CAA keeps the order from being issued, per name.
    public var caaMessages: [String: String]

    /// Whether some name waits for a check that can run (DNS or HTTP; e-mail waits for a click).
    public var awaitsChecks: Bool {
        names.values.contains { $0.status == "pending" && DCVMethod.isCheckedInBackground($0.method) }
    }

    /// Whether this order's own checks validated `name` (the only validation a DV order counts).
    public func validates(_ name: String) -> Bool { names[name]?.status == "valid" }

    /// The method recorded for a name that an administrator's pre-authorization validated.
    public static let preauthorizedMethod = "preauthorized"

    /// Whether a pre-authorization of the order's container validated `name` (docs/private-pki.md).
    public func isPreauthorized(_ name: String) -> Bool {
        names[name].map { $0.status == "valid" && $0.method == Self.preauthorizedMethod } ?? false
    }

    /// Whether the order's own authorization of `name` is valid by a pre-authorization or an ACME
    /// challenge: these count for the order itself whatever the container's domains say.
    public func validatesItself(_ name: String) -> Bool {
        guard let state = names[name], state.status == "valid" else { return false }
        return state.method == Self.preauthorizedMethod || DCVMethod(rawValue: state.method)?.isACMEChallenge == true
    }

    /// This state with the names that `preauthorizations` cover validated, each recording which
    /// pre-authorization, who gave it and when; `nil` stays `nil` when none is covered.
    public static func preauthorizing(
        _ names: [String], by preauthorizations: [Preauthorization], in dcv: OrderDCV?, at date: Date,
        randomValue: @autoclosure () -> String, expires: Date
    ) -> OrderDCV? {
        var state = dcv
        for name in names where !(dcv?.validates(name) ?? false) {
            guard let preauthorization = preauthorizations.first(where: { $0.scope.covers(name) }) else { continue }
            if state == nil { state = OrderDCV(randomValue: randomValue(), expires: expires) }
            state?.names[name] = NameState(
                method: preauthorizedMethod, status: "valid", detail: preauthorization.record, checkedAt: date)
        }
        return state
    }

    public init(
        randomValue: String, expires: Date, attempts: Int = 0, names: [String: NameState] = [:],
        caaMessages: [String: String] = [:]
    ) {
        self.randomValue = randomValue
        self.expires = expires
        self.attempts = attempts
        self.names = names
        self.caaMessages = caaMessages
    }
}

/// CertCentral's approval steps for certificate requests (Settings > Preferences > Approval Steps).
public enum ApprovalStep: String, Sendable, CaseIterable {
    /// The default: a request waits for an administrator's or manager's approval.
    case oneStep = "one-step"
    /// "Skip approval step": orders, reissues and duplicates of administrators and managers go
    /// straight to validation and issuance; users' requests and revocations still wait.
    case skip
}

/// How the account treats its users' requests.
public struct AccountSettings: Sendable, Equatable {
    /// Whether users with the `user` role may skip approval. Off by default, as in CertCentral, where a
    /// standard user's request waits for an administrator or manager unless the account says otherwise.
    public var usersMaySkipApproval: Bool
    /// CertCentral's approval step: one-step by default.
    public var approvalStep: ApprovalStep
    /// CertCentral's "Automatically approve certificate requests when the requester is also an
    /// approver": an administrator's or manager's own request is approved as it is made.
    public var autoApproveApprovers: Bool

    public init(usersMaySkipApproval: Bool = false, approvalStep: ApprovalStep = .oneStep, autoApproveApprovers: Bool = false) {
        self.usersMaySkipApproval = usersMaySkipApproval
        self.approvalStep = approvalStep
        self.autoApproveApprovers = autoApproveApprovers
    }

    /// Whether `role`'s orders, reissues and duplicates skip approval without asking for it
    /// (`skip_approval`): an approver's, when the account skips the step or approves approvers' own
    /// requests. Revocations are never approved this way.
    public func skipsApproval(for role: Role) -> Bool {
        role.mayApprove && (approvalStep == .skip || autoApproveApprovers)
    }
}

/// The account's money: the balance is always the sum of the ledger.
public struct Balance: Sendable, Equatable {
    public var balance: Money
    /// How far below zero orders may take the balance.
    public var negativeLimit: Money
    public var currency: String

    public init(balance: Money, negativeLimit: Money, currency: String) {
        self.balance = balance
        self.negativeLimit = negativeLimit
        self.currency = currency
    }

    public var availableFunds: Money { balance + negativeLimit }
}
