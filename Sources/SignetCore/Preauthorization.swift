import Foundation

/// An administrator's statement that a private container may use names under a domain suffix, or
/// addresses in a block, without a challenge (docs/private-pki.md). An order's names inside one are
/// validated at once, and the order's authorization records which one, who gave it and when.
public struct Preauthorization: Sendable, Equatable {
    public enum Scope: Sendable, Hashable, CustomStringConvertible {
        /// A domain and every name under it.
        case domain(String)
        /// A block of addresses.
        case addresses(IPRange)

        /// Parses `corp.internal` or `10.0.0.0/8` (one address is a block of one).
        public init?(_ text: String, policy: NamePolicy = NamePolicy(scope: .private, singleLabel: true, localhost: true)) {
            let trimmed = text.trimmingWhitespace().lowercased()
            if let range = IPRange(trimmed) {
                self = .addresses(range)
            } else if let name = try? DNSName(trimmed, policy: policy), !name.isWildcard {
                self = .domain(name.value)
            } else {
                return nil
            }
        }

        /// Whether a certificate name (a DNS name or an address) falls inside.
        public func covers(_ name: String) -> Bool {
            switch self {
            case .domain(let domain):
                guard !CertificateNames.isIPAddress(name) else { return false }
                return DNSName(checked: name).isCovered(byValidatedDomain: domain)
            case .addresses(let range):
                return IPAddress(identifier: name).map(range.contains) ?? false
            }
        }

        public var description: String {
            switch self {
            case .domain(let domain): return domain
            case .addresses(let range): return range.description
            }
        }
    }

    public var id: Int
    public var containerID: Int
    public var scope: Scope
    public var addedBy: String
    public var dateCreated: Date

    public init(id: Int, containerID: Int, scope: Scope, addedBy: String, dateCreated: Date) {
        self.id = id
        self.containerID = containerID
        self.scope = scope
        self.addedBy = addedBy
        self.dateCreated = dateCreated
    }

    /// What an order's authorization says of a name this pre-authorization validated.
    public var record: String {
        "pre-authorized by \(addedBy) on \(APITime.timestamp(dateCreated)): \(scope) (#\(id))"
    }
}
