import Foundation

/// An API key as an operator lists it (`signet apikey list`): everything but the key, which is
/// stored only as a hash.
public struct APIKeyListing: Sendable, Equatable {
    public var id: Int
    /// The key's public first part, which access lines show as `key_id`.
    public var lookupID: String
    public var name: String
    public var user: User
    public var dateCreated: Date
    public var lastUsedAt: Date?
    public var isActive: Bool

    public init(
        id: Int, lookupID: String, name: String, user: User, dateCreated: Date, lastUsedAt: Date?, isActive: Bool
    ) {
        self.id = id
        self.lookupID = lookupID
        self.name = name
        self.user = user
        self.dateCreated = dateCreated
        self.lastUsedAt = lastUsedAt
        self.isActive = isActive
    }
}
