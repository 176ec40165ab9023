import Foundation
import SignetCore

/// A certificate profile an order may choose (draft-ietf-acme-profiles), listed in the directory's
/// `meta.profiles`: the two Signet always offers, and one per CertCentral TLS product the operator
/// enables (`--acme-products`).
struct ACMEProfile: Sendable, Equatable {
    let name: String
    /// The product its orders are placed for; `nil` for the product the account's binding names.
    let productNameID: String?
    /// The certificate's life; `nil` for the product's own (its usual term under today's cap).
    let certificateDays: Int?
    let summary: String

    /// A TLS server certificate of the account's product, 90 days, with CRL and OCSP pointers.
    static let `default` = ACMEProfile(
        name: "default", productNameID: nil, certificateDays: 90,
        summary: "TLS server certificate of the account's product, 90 days, CRL and OCSP")

    /// A short-lived TLS server certificate (BR 1.6.1): six days (seven at most counted from its
    /// midnight notBefore), without an OCSP pointer (its CRL pointer stays: docs/acme.md).
    static let shortlived = ACMEProfile(
        name: "shortlived", productNameID: nil, certificateDays: 6,
        summary: "short-lived TLS server certificate, at most 7 days, no OCSP")

    /// The profile of a CertCentral TLS product: its validation level, names and price.
    init?(product nameID: String) {
        guard let product = ProductCatalog.product(nameID: nameID), product.isTLS else { return nil }
        self.init(
            name: nameID, productNameID: nameID, certificateDays: nil,
            summary: "\(product.name) (\(product.validationLevel.rawValue)), as CertCentral orders it")
    }

    init(name: String, productNameID: String?, certificateDays: Int?, summary: String) {
        self.name = name
        self.productNameID = productNameID
        self.certificateDays = certificateDays
        self.summary = summary
    }

    /// Every profile offered: the two of Signet's own, then the enabled products'.
    static func offered(products: [String]) -> [ACMEProfile] {
        [.default, .shortlived] + products.compactMap(ACMEProfile.init(product:))
    }

    /// The name an order reports: what it chose, or for an order from before profiles were
    /// recorded, what its certificate life says.
    static func name(of order: Order, recorded: String?) -> String {
        if let recorded { return recorded }
        let days = (order.certificateValidTill ?? order.orderValidTill).timeIntervalSince(order.orderValidFrom) / 86_400
        return days <= 7 ? shortlived.name : ACMEProfile.default.name
    }
}
