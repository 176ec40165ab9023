import Foundation

/// A division of the account. Users see the orders of their container and the containers below it.
public struct Container: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var parentID: Int?
    public var isActive: Bool

    public init(id: Int, name: String, parentID: Int?, isActive: Bool = true) {
        self.id = id
        self.name = name
        self.parentID = parentID
        self.isActive = isActive
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
public struct Principal: Sendable, Equatable {
    public var user: User
    /// Containers the user may see: their own and every one below it.
    public var visibleContainerIDs: Set<Int>

    public init(user: User, visibleContainerIDs: Set<Int>) {
        self.user = user
        self.visibleContainerIDs = visibleContainerIDs
    }

    public var role: Role { user.role }

    public func canSee(containerID: Int) -> Bool {
        user.role == .administrator || visibleContainerIDs.contains(containerID)
    }
}

/// A domain whose control was demonstrated, and until when that proof may be reused.
public struct DomainValidation: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var containerID: Int
    public var validatedAt: Date?
    public var validatedUntil: Date?
    public var dateCreated: Date

    public init(id: Int, name: String, containerID: Int, validatedAt: Date?, validatedUntil: Date?, dateCreated: Date) {
        self.id = id
        self.name = name
        self.containerID = containerID
        self.validatedAt = validatedAt
        self.validatedUntil = validatedUntil
        self.dateCreated = dateCreated
    }

    public func isValid(at date: Date) -> Bool { validatedUntil.map { $0 > date } ?? false }
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
