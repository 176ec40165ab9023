/// Which names a container's certificates may carry (docs/private-pki.md).
///
/// `public`, the default, is the WebPKI's: names in the public DNS only, so that the double of a
/// public CA refuses what a public CA refuses. `private` is a team's own CA: internal and reserved
/// suffixes (`.internal`, `.lan`, `.corp`, `.local`, …) and IP addresses too, with the same strict
/// syntax; single-label names and `localhost` only where the operator enables them.
public struct NamePolicy: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case `public`
        case `private`
    }

    public var scope: Scope
    /// Whether single-label names (`printer`, `db`) are accepted; private only.
    public var singleLabel: Bool
    /// Whether `localhost` and names under it are accepted; private only.
    public var localhost: Bool
    /// Private addresses that HTTP validation of this container's names may connect to.
    public var privateTargets: [IPRange]

    public init(scope: Scope = .public, singleLabel: Bool = false, localhost: Bool = false, privateTargets: [IPRange] = []) {
        self.scope = scope
        self.singleLabel = singleLabel
        self.localhost = localhost
        self.privateTargets = privateTargets
    }

    public static let `public` = NamePolicy()

    public var isPrivate: Bool { scope == .private }

    /// The policy a certificate's names are judged by: the public one when every name is a public
    /// one (they read the same under either, and no container need be looked up), else the
    /// container's (`container` is asked only then).
    public static func needed(
        for names: CertificateNames, isTLS: Bool, container: () throws -> NamePolicy
    ) rethrows -> NamePolicy {
        let isPublic =
            isTLS
            ? names.subjectAlternativeNames(isTLS: true).allSatisfy { (try? DNSName($0)) != nil }
            : names.emails.allSatisfy { EmailAddress($0) != nil }
        return isPublic ? .public : try container()
    }

    /// Whether an outbound validation of this container may connect to `address`: a public address,
    /// or a private one inside a listed range. Metadata services never.
    public func allowsTarget(_ address: IPAddress) -> Bool {
        guard !address.isMetadataService else { return false }
        return address.isPublic || (isPrivate && privateTargets.contains { $0.contains(address) })
    }
}
