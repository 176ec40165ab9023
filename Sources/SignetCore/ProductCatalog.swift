/// Every product Signet sells, in one place.
///
/// The identifiers are CertCentral's: the current TLS products, the legacy ones that
/// existing clients still send, DV products, and the client certificates of seed 001.
/// Client product ids are accepted with and without the `_sha2` suffix, because DigiCert's
/// pages use both spellings.
public enum ProductCatalog {
    private static let tlsHashes: [SignatureHash] = [.sha256, .sha384, .sha512]
    private static let clientHashes: [SignatureHash] = [.sha256]
    /// Three years: the longest multi-year plan DigiCert still sells.
    private static let tlsOrderDays = 1095
    /// Seed 001: a client certificate's custom expiration lies within 825 days.
    private static let clientOrderDays = 825

    public static let all: [Product] = tls + client

    private static func ssl(
        _ id: String, _ name: String, _ level: ValidationLevel, multi: Bool, wildcard: Bool,
        wildcardOnly: Bool = false, price: Money, perName: Money
    ) -> Product {
        Product(
            nameID: id, name: name, groupName: "ssl_certificate", kind: .tls, validationLevel: level,
            allowedHashes: tlsHashes, additionalNamesAllowed: multi, wildcardAllowed: wildcard,
            wildcardOnly: wildcardOnly, maximumNames: multi ? 250 : 2, allowedValidityYears: 1...3,
            maximumOrderDays: tlsOrderDays, pricePerYear: price, pricePerAdditionalName: perName)
    }

    private static let tls: [Product] = [
        ssl("ssl_basic", "Basic OV", .ov, multi: true, wildcard: true, price: "218.00", perName: "99.00"),
        ssl("ssl_securesite_flex", "Secure Site OV", .ov, multi: true, wildcard: true, price: "399.00", perName: "149.00"),
        ssl("ssl_securesite_pro", "Secure Site Pro SSL", .ov, multi: true, wildcard: true, price: "995.00", perName: "199.00"),
        // EV forbids wildcard names (EV Guidelines 9.8.1).
        ssl("ssl_ev_basic", "Basic EV", .ev, multi: true, wildcard: false, price: "344.00", perName: "149.00"),
        ssl("ssl_ev_securesite_flex", "Secure Site EV", .ev, multi: true, wildcard: false, price: "595.00", perName: "199.00"),
        ssl(
            "ssl_ev_securesite_pro", "Secure Site Pro EV SSL", .ev, multi: true, wildcard: false, price: "1499.00",
            perName: "299.00"),
        ssl("ssl_plus", "Standard SSL", .ov, multi: false, wildcard: false, price: "175.00", perName: "0.00"),
        ssl("ssl_multi_domain", "Multi-Domain SSL", .ov, multi: true, wildcard: false, price: "299.00", perName: "99.00"),
        ssl(
            "ssl_wildcard", "WildCard SSL", .ov, multi: true, wildcard: true, wildcardOnly: true, price: "688.00", perName: "0.00"
        ),
        ssl("ssl_ev_plus", "EV SSL Plus", .ev, multi: false, wildcard: false, price: "295.00", perName: "0.00"),
        ssl("ssl_ev_multi_domain", "EV Multi-Domain SSL", .ev, multi: true, wildcard: false, price: "499.00", perName: "199.00"),
        ssl("ssl_dv_geotrust", "GeoTrust Standard DV", .dv, multi: true, wildcard: false, price: "59.00", perName: "59.00"),
        ssl("ssl_dv_rapidssl", "RapidSSL Standard DV", .dv, multi: false, wildcard: false, price: "29.00", perName: "0.00"),
        // DigiCert's flexible DV: single, multiple and wildcard names in one certificate (what ACME clients ask for).
        ssl("ssl_dv_geotrust_flex", "GeoTrust DV SSL", .dv, multi: true, wildcard: true, price: "99.00", perName: "59.00"),
        ssl(
            "wildcard_dv_geotrust", "GeoTrust Wildcard DV", .dv, multi: true, wildcard: true, wildcardOnly: true, price: "259.00",
            perName: "0.00"),
        ssl(
            "wildcard_dv_rapidssl", "RapidSSL Wildcard DV", .dv, multi: true, wildcard: true, wildcardOnly: true, price: "199.00",
            perName: "0.00"),
    ]

    private static func client(
        _ id: String, _ name: String, _ level: ValidationLevel, _ usage: ClientUsage, price: Money
    ) -> Product {
        Product(
            nameID: id, name: name, groupName: "client_certificate", kind: .client(usage), validationLevel: level,
            allowedHashes: clientHashes, additionalNamesAllowed: true, wildcardAllowed: false,
            maximumNames: 10, allowedValidityYears: 1...2, maximumOrderDays: clientOrderDays,
            pricePerYear: price, pricePerAdditionalName: "0.00")
    }

    private static let client: [Product] = [
        client("client_premium_sha2", "Premium", .ov, [.clientAuthentication, .emailProtection], price: "49.00"),
        client("client_email_security_plus", "Email Security Plus", .dv, [.emailProtection], price: "29.00"),
        client("client_authentication_plus", "Authentication Plus", .ov, [.clientAuthentication], price: "39.00"),
        client(
            "client_digital_signature_plus_sha2", "Digital Signature Plus", .ov,
            [.clientAuthentication, .emailProtection, .documentSigning], price: "59.00"),
    ]

    private static let byID: [String: Product] = {
        var table: [String: Product] = [:]
        for product in all {
            table[product.nameID] = product
            if product.nameID.hasSuffix("_sha2") {
                table[String(product.nameID.dropLast(5))] = product
            } else if product.groupName == "client_certificate" {
                table[product.nameID + "_sha2"] = product
            }
        }
        return table
    }()

    /// The product for a CertCentral `name_id` (either spelling of the client ids), if any.
    public static func product(nameID: String) -> Product? {
        byID[nameID.lowercased()]
    }
}
