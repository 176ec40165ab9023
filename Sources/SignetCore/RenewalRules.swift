import Foundation

/// When an order renews itself, and what a renewal carries over from the order it renews.
///
/// `auto_renew` counts the renewals still wanted (seed 001: "the number of times the certificate
/// is renewed automatically"). Like DigiCert's automatic reissues, an automatic renewal is placed
/// 30 days before the order ends. A renewal placed before the old order ends is credited the days
/// the old order still had, up to 30, so that renewing early loses nothing.
public enum RenewalRules {
    /// How long before the end of an order its automatic renewal is placed.
    public static let autoRenewalLead: TimeInterval = 30 * 86_400
    /// The most of an old order's remaining time that its renewal is credited.
    public static let maximumCredit: TimeInterval = 30 * 86_400
    /// How long an automatic renewal that failed (e.g. for want of funds) waits before it is tried again.
    public static let retryAfterFailure: TimeInterval = 86_400

    /// When the order's automatic renewal is due; `nil` when it wants none.
    public static func autoRenewalDate(of order: Order) -> Date? {
        guard (order.options.autoRenew ?? 0) > 0 else { return nil }
        return order.orderValidTill.addingTimeInterval(-autoRenewalLead)
    }

    /// The time a renewal placed at `now` is credited from the order it renews.
    public static func credit(renewing previous: Order, now: Date) -> TimeInterval {
        min(max(0, previous.orderValidTill.timeIntervalSince(now)), maximumCredit)
    }

    /// The submission that renews `order` automatically: the same names, key, product, term,
    /// organization and settings, with one renewal fewer still to come. `previous` is the order
    /// that `order` itself renewed, whose credit is not part of the term bought.
    public static func automaticRenewal(
        of order: Order, previous: Order?, csr: String, thumbprint: String?, product: Product
    ) -> OrderSubmission {
        var submission = OrderSubmission(productNameID: order.productNameID)
        submission.origin = order.origin
        submission.commonName = order.names.commonName
        submission.person = order.names.person
        submission.dnsNames = order.names.dnsNames
        submission.emails = order.names.emails
        submission.csr = csr
        submission.signatureHash =
            (product.allowedHashes.contains(order.signatureHash) ? order.signatureHash : SignatureHash.sha256).rawValue
        submission.organizationUnits = order.organizationUnits
        submission.serverPlatformID = order.serverPlatformID
        submission.profileOption = order.profileOption?.rawValue
        let credited = previous.map { credit(renewing: $0, now: order.orderValidFrom) } ?? 0
        let days = Int(((order.orderValidTill.timeIntervalSince(order.orderValidFrom) - credited) / 86_400).rounded())
        submission.legacyValidity = ValidityRequest(days: max(1, days), fieldPrefix: "")
        submission.organization = order.organizationID.map { .existing($0) }
        submission.contacts = order.contacts
        submission.containerID = order.containerID
        submission.skipApproval = order.options.skipApproval ?? false
        submission.options = order.options
        submission.options.autoRenew = max(0, (order.options.autoRenew ?? 0) - 1)
        submission.options.renewalOfOrderID = order.id
        submission.options.renewedThumbprint = thumbprint
        submission.options.comments = "Automatic renewal of order \(order.id)."
        return submission
    }
}
