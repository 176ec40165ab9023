import Foundation
import SignetCore
import SignetStore
import SignetValidation

/// A usable validation link: the domain its recipient's address approves, and the order that asked.
public struct EmailLink: Sendable, Equatable {
    public let domain: String
    public let recipient: String
    public let orderID: Int?

    /// The link of `email`, or `nil` once it was used or has expired, or when its address approves nothing.
    public init?(_ email: DCVEmail, now: Date) {
        guard email.followedAt == nil, email.expires > now,
            let domain = ApproverEmail.validatedDomain(by: email.recipient, for: email.name)
        else { return nil }
        self.domain = domain
        recipient = email.recipient
        orderID = email.orderID
    }
}
