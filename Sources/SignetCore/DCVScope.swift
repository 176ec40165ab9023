/// Which validations count for an order's names.
public enum DCVScope: Sendable, Equatable {
    /// The container's validated domains, reused within the CA/B Forum's period: OV and EV orders,
    /// and every order of the reseller dialect, whose API (seed 004) gives each name its own method.
    case container
    /// Only the order's own checks, every name by one method: DigiCert's rules for DV TLS
    /// certificates (docs.digicert.com, "Domain validation behavior for DV certificates"): no
    /// validation reuse and no prevalidation, so each order, renewal and reissue validates again.
    case order

    /// DigiCert's DV rules hold for its DV products ordered through CertCentral and through its
    /// ACME service alike; ACME's OV and EV orders reuse the container's validations as OV does.
    public init(product: Product, origin: OrderOrigin) {
        let digiCertDV =
            product.isTLS && product.validationLevel == .dv && (origin == .certCentral || origin == .acme)
        self = digiCertDV ? .order : .container
    }
}
