import SignetCore
import SignetRA
import Vapor

/// Where Signet knowingly answers otherwise than CertCentral would (docs/behaviour.md, "Known
/// differences"). The answer says so in a `Signet-Differs` header, so that a suite running
/// against the double can tell a difference of the double from a bug of its own.
enum KnownDifference {
    static let header = "Signet-Differs"

    /// A client order without a CSR: DigiCert can let a browser make the key later; Signet never holds keys.
    static let csrRequired = "csr-required"
    /// `payment_method` other than `balance`: Signet has no card or profile to charge.
    static let paymentMethod = "payment-method"
    /// `http-token-dynamic`: DigiCert offers it for OV and EV; Signet validates their files with `http-token`.
    static let dynamicFileName = "http-token-dynamic"
    /// A TLS certificate in the answer carries no SCTs: Signet logs to no Certificate Transparency log.
    static let noCT = "no-ct"

    /// Fields DigiCert acts on by sending e-mail, which Signet keeps and shows but sends nothing for.
    static func notActedOn(_ options: OrderOptions) -> String? {
        var fields: [String] = []
        if options.customRenewalMessage != nil { fields.append("custom_renewal_message") }
        if options.disableRenewalNotifications != nil { fields.append("disable_renewal_notifications") }
        if !(options.additionalEmails ?? []).isEmpty { fields.append("additional_emails") }
        if options.locale != nil { fields.append("locale") }
        return fields.isEmpty ? nil : "not-acted-on=" + fields.joined(separator: ",")
    }

    /// The header of a placed order's answer, if Signet differs in it.
    static func of(placedOrder placed: PlacedOrder, issuedInAnswer: Bool) -> String? {
        var differences: [String] = []
        if issuedInAnswer, placed.order.product?.isTLS ?? false { differences.append(noCT) }
        if let fields = notActedOn(placed.order.options) { differences.append(fields) }
        return differences.isEmpty ? nil : differences.joined(separator: "; ")
    }
}
