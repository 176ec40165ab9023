import Foundation
import SignetCore
import SignetRA
import SignetStore

/// What the reseller dialect keeps beside one of its orders (its details, as JSON the dialect
/// owns), and the call that changes it. The RA writes it in the transaction of the change it goes
/// with, so that both commit or neither does (``OrderAttachment``).
public struct ResellerRecord: OrderAttachment {
    public var accessKeyID: String
    /// The details the dialect computed the change from (nil for a new order). When the stored
    /// details differ, a concurrent change won: the RA refuses with a retryable conflict, and the
    /// dialect computes the change again on fresh data.
    public var expectedDetails: String?
    public var details: String
    /// The call's idempotency key and fingerprint, for calls that may be retried (create, reissue).
    public var request: Request?

    public struct Request: Sendable {
        public var uniqueID: String
        public var fingerprint: String

        public init(uniqueID: String, fingerprint: String) {
            self.uniqueID = uniqueID
            self.fingerprint = fingerprint
        }
    }

    public init(accessKeyID: String, expectedDetails: String?, details: String, request: Request? = nil) {
        self.accessKeyID = accessKeyID
        self.expectedDetails = expectedDetails
        self.details = details
        self.request = request
    }

    /// The reseller's name for an order (`service_id`): short, stable, and not a guessable count.
    public static func serviceID(orderID: Int) -> String { "o" + String(orderID, radix: 36) }

    /// Writes the record for `order` in the caller's transaction, which holds the order's lock;
    /// `cost` is what the call charged.
    public func write(for order: Order, cost: Money, connection: WriteSession, at now: Date) throws {
        if let expectedDetails {
            guard try connection.resellerOrder(orderID: order.id)?.detailsJSON == expectedDetails else {
                throw StoreError.uniqueViolation("order \(order.id) changed concurrently")
            }
            try connection.setResellerDetails(orderID: order.id, details)
        } else {
            try connection.insertResellerOrder(
                ResellerOrder(
                    orderID: order.id, accessKeyID: accessKeyID, serviceID: Self.serviceID(orderID: order.id),
                    detailsJSON: details))
        }
        if let request {
            try connection.recordResellerRequest(
                accessKeyID: accessKeyID, uniqueID: request.uniqueID, fingerprint: request.fingerprint, orderID: order.id,
                cost: cost, at: now)
        }
    }
}
