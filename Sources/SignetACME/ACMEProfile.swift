import Foundation
import SignetCore

/// The certificate profiles an order may choose (draft-ietf-acme-profiles), listed in the
/// directory's `meta.profiles`.
enum ACMEProfile: String, CaseIterable {
    /// A TLS server certificate of the account's product, 90 days, with CRL and OCSP pointers.
    case `default` = "default"
    /// A short-lived TLS server certificate (BR 1.6.1): six days (seven at most counted from its
    /// midnight notBefore), without an OCSP pointer (its CRL pointer stays: docs/acme.md).
    case shortlived

    var certificateDays: Int {
        switch self {
        case .default: return 90
        case .shortlived: return 6
        }
    }

    var summary: String {
        switch self {
        case .default: return "TLS server certificate, 90 days, CRL and OCSP"
        case .shortlived: return "short-lived TLS server certificate, at most 7 days, no OCSP"
        }
    }

    /// The profile an order was opened with, read from the certificate life it asked for.
    init(order: Order) {
        let days = (order.certificateValidTill ?? order.orderValidTill).timeIntervalSince(order.orderValidFrom) / 86_400
        self = days <= 7 ? .shortlived : .default
    }
}
