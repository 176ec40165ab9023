import Foundation
import SignetCore
import SignetStore

/// Where one identifier of an ACME order stands: its authorization (RFC 8555 7.1.4).
public struct ACMEIdentifierState: Sendable {
    public let name: String
    public let status: ACMEAuthorizationStatus
    public let challenges: [ACMEChallenge]
    public let isWildcard: Bool
}

/// An ACME order as its account sees it: the order, its identifiers' states and its certificate.
public struct ACMEOrderState: Sendable {
    /// How long an order and its authorizations wait for the client (RFC 8555 7.1.3 `expires`).
    public static let lifetime: TimeInterval = 7 * 86_400

    public let order: Order
    public let identifiers: [ACMEIdentifierState]
    public let certificate: CertificateRecord?
    /// When the order and its pending authorizations expire.
    public var expires: Date { order.dateCreated.addingTimeInterval(Self.lifetime) }
    public let status: ACMEOrderStatus
    /// What the administrator (or Signet) wrote when it rejected or withdrew the order.
    public let endReason: String?
    /// The profile the order chose; `nil` for an order from before profiles were recorded.
    public let profile: String?

    init(
        order: Order, identifiers: [ACMEIdentifierState], certificate: CertificateRecord?, endReason: String?,
        profile: String?, now: Date
    ) {
        self.order = order
        self.profile = profile
        self.identifiers = identifiers
        self.certificate = certificate
        self.endReason = endReason
        status = ACMEOrderStatus(
            order: order.status, authorizations: identifiers.map(\.status), hasCSR: order.certificateID != nil,
            isPastExpiry: now >= order.dateCreated.addingTimeInterval(Self.lifetime))
    }
}

/// A certificate an ARI identifier names: its renewal window, and the order `replaces` renews.
public struct ACMERenewalTarget: Sendable {
    public let certificate: CertificateRecord
    public let issuance: CertificateRecord.Issuance
    public let order: Order

    /// RFC 9773's suggested window: the last third of the certificate's life, from two thirds
    /// (the last half, from its middle, for a short-lived certificate); a revoked certificate's
    /// window has begun already, so that clients replace it at once.
    public func suggestedWindow(now: Date) -> (start: Date, end: Date) {
        if certificate.status == .revoked { return (now.addingTimeInterval(-3600), now.addingTimeInterval(-60)) }
        let lifetime = issuance.validTill.timeIntervalSince(issuance.validFrom)
        let (startShare, endShare) = lifetime <= 7 * 86_400 ? (0.5, 0.75) : (2.0 / 3.0, 5.0 / 6.0)
        return (
            issuance.validFrom.addingTimeInterval(lifetime * startShare),
            issuance.validFrom.addingTimeInterval(lifetime * endShare)
        )
    }
}

/// Why an ACME request cannot be carried out, in terms the ACME dialect maps to RFC 8555 problems.
public enum ACMEError: Error, Sendable, Equatable {
    case accountDoesNotExist
    case externalAccountRequired
    case unauthorized(String)
    case malformed(String)
    case badCSR(String)
    case orderNotReady(String)
    case rejectedIdentifier(String)
    case conflict(String)
    case caa(String)
    case invalidProfile(String)
}
