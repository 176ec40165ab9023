/// An order's status as CertCentral reports it.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    /// The approval request is open.
    case needsApproval = "needs_approval"
    /// Approved; waiting for domain or organization validation.
    case pending
    case issued
    case rejected
    case canceled
    case revoked
    case expired
    /// A reissue of an issued order is in progress.
    case reissuePending = "reissue_pending"
}

/// A certificate's status on an order (primary, reissue or duplicate): seed 002's values plus the terminal ones.
public enum CertificateStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case approved
    case issued
    case rejected
    case revoked
    case canceled
}

/// An approval request's status (seeds 001 and 003).
public enum RequestStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case submitted
    case approved
    case rejected
}

/// What an approval request asks for.
public enum RequestType: String, Sendable, Codable, CaseIterable {
    case newRequest = "new_request"
    case revoke
    case reissue
    case duplicate
}

/// What an API key's user may do. Administrators and managers approve; users order.
public enum Role: String, Sendable, Codable, CaseIterable {
    case administrator
    case manager
    case user

    public var mayApprove: Bool { self != .user }

    /// CertCentral's access role id and name (user info `access_roles`).
    public var accessRole: (id: Int, name: String) {
        switch self {
        case .administrator: return (1, "Administrator")
        case .manager: return (4, "Manager")
        case .user: return (5, "Standard User")
        }
    }
}
