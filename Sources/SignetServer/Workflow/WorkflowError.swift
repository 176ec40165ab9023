import SignetCore
import SignetPKI

/// Why the workflow refused a command about an existing thing: it is missing, not the caller's,
/// or not in a state that allows it. Dialects map each case in their error table.
public enum WorkflowError: Error, Sendable, Equatable {
    case orderNotFound(String)
    case requestNotFound(Int)
    case certificateNotFound(String)
    case organizationNotFound(Int)
    case containerNotFound(Int)
    case userNotFound(Int)
    /// The caller's role may not do this.
    case forbidden(String)
    /// The request was decided before.
    case requestAlreadyProcessed(id: Int, status: RequestStatus)
    /// The certificate has no issued form to download yet.
    case certificateNotIssued(id: Int, status: CertificateStatus)
    case invalidCSR(CSRProblem)
    /// The order's status does not allow `action` (e.g. a reissue of an order that is not issued).
    case invalidOrderStatus(id: Int, status: OrderStatus, action: String)
    case orderAlreadyRevoked(Int)
    case certificateAlreadyRevoked(Int)
    /// A reissue of the order is pending; its certificate cannot be revoked meanwhile.
    case reissuePending(orderID: Int)
    case domainNotFound(Int)
    case domainExists(name: String, id: Int)
    /// A DCV check did not find what the method asks for.
    case dcvCheckFailed(method: String, details: [String])
    /// CAA records forbid issuance (or could not be read) for a name.
    case caaRefused(domain: String, reason: String, lookupFailed: Bool)
    /// The operation needs another DCV method (e.g. resending e-mails of a DNS-validated order).
    case wrongDCVMethod(current: String, needed: String)
    case invalidEmailLink
    /// `renewal_of_order_id` names an order that cannot be renewed (or a thumbprint not of it).
    case orderNotEligibleForRenewal(id: Int, reason: String)
    /// Only orders not yet issued, or whose reissue is pending, can be canceled.
    case orderNotCancelable(id: Int, status: OrderStatus)
    /// Another order renewed this one already.
    case orderRenewedAlready(id: Int, renewedBy: Int)
}
