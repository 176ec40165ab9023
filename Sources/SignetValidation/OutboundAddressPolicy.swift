/// Why an outbound request was not made.
public enum OutboundRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host has no address (or the lookup failed).
    case noAddress(host: String)
    /// Every address of the host is loopback, private, link-local or otherwise not public.
    case notPublic(host: String)

    public var description: String {
        switch self {
        case .noAddress(let host): return "\(host) has no address"
        case .notPublic(let host): return "\(host) does not resolve to a public address"
        }
    }
}

/// Where Signet's outbound requests may go, decided once per connection: the host is resolved
/// through Signet's own resolver, the address is checked, and the caller connects to exactly that
/// address (never to the name again, which a DNS-rebinding server could answer differently).
public struct OutboundAddressPolicy: Sendable {
    public let resolver: any DNSResolver
    /// Whether loopback and private targets are allowed (`--allow-private-targets`; tests, closed networks).
    public let allowPrivate: Bool

    public init(resolver: any DNSResolver, allowPrivate: Bool) {
        self.resolver = resolver
        self.allowPrivate = allowPrivate
    }

    /// The address to connect to for `host`: a literal address, or the first address the resolver
    /// answers (IPv4 first) that the policy allows.
    public func address(for host: String) async throws(OutboundRefusal) -> IPAddress {
        var candidates: [IPAddress] = []
        if let literal = IPAddress(literal: host) {
            candidates = [literal]
        } else {
            for type in [DNSRecordType.a, .aaaa] {
                guard let response = try? await resolver.query(host, type: type) else { continue }
                for record in response.records(type) {
                    if case .address(let bytes) = record.data, let address = IPAddress(bytes: bytes) {
                        candidates.append(address)
                    }
                }
            }
        }
        guard !candidates.isEmpty else { throw .noAddress(host: host) }
        guard let allowed = candidates.first(where: { allowPrivate || $0.isPublic }) else { throw .notPublic(host: host) }
        return allowed
    }
}
