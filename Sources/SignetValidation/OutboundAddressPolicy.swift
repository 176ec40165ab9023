import SignetCore

/// Why an outbound request was not made.
public enum OutboundRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host has no address (or the lookup failed).
    case noAddress(host: String)
    /// Every address of the host is loopback, private, link-local or otherwise not public (nor in a
    /// block the container's policy lists).
    case notPublic(host: String)
    /// The address and port are Signet's own listener.
    case ownListener(host: String)

    public var description: String {
        switch self {
        case .noAddress(let host): return "\(host) has no address"
        case .notPublic(let host): return "\(host) does not resolve to an address Signet may connect to"
        case .ownListener(let host): return "\(host) is Signet's own listener"
        }
    }
}

/// Where Signet itself listens: an outbound check never connects there, whatever a policy allows.
public struct OwnListener: Sendable {
    public let port: Int
    /// This host's addresses (loopback and every interface's), and the one Signet binds.
    public let addresses: Set<IPAddress>

    public init(port: Int, boundTo host: String) {
        self.port = port
        var addresses = Set(LocalAddresses.current())
        if let bound = IPAddress(literal: host) { addresses.insert(bound) }
        self.addresses = addresses
    }

    public func isListener(_ address: IPAddress, port: Int) -> Bool {
        guard port == self.port else { return false }
        let b = address.bytes
        let isLoopback = address.isIPv4 ? b[0] == 127 : b == [UInt8](repeating: 0, count: 15) + [1]
        return isLoopback || addresses.contains(address)
    }
}

/// Where Signet's outbound requests may go, decided once per connection: the host is resolved
/// through Signet's own resolver, the address is checked, and the caller connects to exactly that
/// address (never to the name again, which a DNS-rebinding server could answer differently).
public struct OutboundAddressPolicy: Sendable {
    public let resolver: any DNSResolver
    /// Whether loopback and private targets are allowed (`--allow-private-targets`; tests, closed networks).
    public let allowPrivate: Bool
    /// Signet's own listener, which no outbound check connects to.
    public let ownListener: OwnListener?

    public init(resolver: any DNSResolver, allowPrivate: Bool, ownListener: OwnListener? = nil) {
        self.resolver = resolver
        self.allowPrivate = allowPrivate
        self.ownListener = ownListener
    }

    /// Whether `address` may be reached for a container of `targets`: a public address, a private
    /// one its policy lists (or any with `--allow-private-targets`); a metadata service never.
    public func allows(_ address: IPAddress, targets: NamePolicy) -> Bool {
        guard !address.isMetadataService else { return false }
        return allowPrivate || targets.allowsTarget(address)
    }

    /// The address to connect to for `host`: a literal address, or the first address the resolver
    /// answers (IPv4 first) that the policy allows for a container of `targets`. AAAA records are
    /// asked for only when no IPv4 address is allowed, since one that is would be chosen anyway.
    public func address(for host: String, targets: NamePolicy = .public) async throws(OutboundRefusal) -> IPAddress {
        var candidates: [IPAddress] = []
        if let literal = IPAddress(literal: host) {
            candidates = [literal]
        } else {
            for type in [DNSRecordType.a, .aaaa] {
                if candidates.contains(where: { allows($0, targets: targets) }) { break }
                guard let response = try? await resolver.query(host, type: type) else { continue }
                for record in response.records(type) {
                    if case .address(let bytes) = record.data, let address = IPAddress(bytes: bytes) {
                        candidates.append(address)
                    }
                }
            }
        }
        guard !candidates.isEmpty else { throw .noAddress(host: host) }
        guard let allowed = candidates.first(where: { allows($0, targets: targets) }) else { throw .notPublic(host: host) }
        return allowed
    }
}
