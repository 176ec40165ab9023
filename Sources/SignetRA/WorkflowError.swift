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
    case apiKeyNotFound(Int)
    /// A CA key's token does not answer: nothing new is issued (or charged) until it is back.
    case signerUnavailable(String)
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
    /// A change names a name the order does not have (or may not lose).
    case nameNotOnOrder(name: String, reason: String)
}

extension WorkflowError: CustomStringConvertible {
    /// What went wrong, as a sentence for logs and the command line (dialects render their own messages).
    public var description: String {
        switch self {
        case .orderNotFound(let id): return "there is no order \(id)"
        case .requestNotFound(let id): return "there is no request \(id)"
        case .certificateNotFound(let id): return "there is no certificate \(id)"
        case .organizationNotFound(let id): return "there is no organization \(id)"
        case .containerNotFound(let id): return "there is no container \(id)"
        case .userNotFound(let id): return "there is no user \(id)"
        case .apiKeyNotFound(let id): return "there is no active API key \(id) (`signet apikey list` shows them)"
        case .signerUnavailable:
            return "the CA's signing key is not reachable now (its token does not answer); nothing was charged, retry later"
        case .forbidden(let reason): return "not allowed: \(reason)"
        case .requestAlreadyProcessed(let id, let status): return "request \(id) is \(status.rawValue) already"
        case .certificateNotIssued(let id, let status): return "certificate \(id) is \(status.rawValue), not issued"
        case .invalidCSR(let problem): return "the CSR cannot be used: \(problem)"
        case .invalidOrderStatus(let id, let status, let action):
            return "order \(id) is \(status.rawValue) and cannot be \(action)"
        case .orderAlreadyRevoked(let id): return "order \(id) is revoked already"
        case .certificateAlreadyRevoked(let id): return "certificate \(id) is revoked already"
        case .reissuePending(let id): return "a reissue of order \(id) is pending"
        case .domainNotFound(let id): return "there is no domain \(id)"
        case .domainExists(let name, _): return "the domain \(name) exists already"
        case .dcvCheckFailed(let method, let details): return "the \(method) check failed: \(details.joined(separator: "; "))"
        case .caaRefused(let domain, let reason, _): return "CAA keeps \(domain) from being issued: \(reason)"
        case .wrongDCVMethod(let current, let needed): return "the DCV method is \(current); this needs \(needed)"
        case .invalidEmailLink: return "the validation link is unknown, used or expired"
        case .orderNotEligibleForRenewal(let id, let reason): return "order \(id) cannot be renewed: \(reason)"
        case .orderNotCancelable(let id, let status): return "order \(id) is \(status.rawValue) and cannot be canceled"
        case .orderRenewedAlready(let id, let renewal): return "order \(id) was renewed already, by order \(renewal)"
        case .nameNotOnOrder(let name, let reason): return "\(name) \(reason)"
        }
    }
}
