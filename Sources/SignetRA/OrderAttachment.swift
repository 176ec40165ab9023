import Foundation
import SignetCore
import SignetStore

/// What a dialect keeps beside one of its orders (the reseller's details and idempotency records,
/// ACME's profile and challenges). The type belongs to the dialect and writes only the dialect's
/// own tables; the RA writes it in the transaction of the change it goes with, so that both commit
/// or neither does, and never needs to know which dialect it came from.
public protocol OrderAttachment: Sendable {
    /// Writes the attachment for `order` in the caller's transaction, which holds the order's
    /// lock; `cost` is what the change charged. A throw rolls the change back.
    func write(for order: Order, cost: Money, connection: WriteSession, at now: Date) throws
}
