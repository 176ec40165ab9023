import Metrics
import SignetCore

/// What the registration authority counts (docs/operations.md, "Metrics"): names and dimensions in
/// one place, so that the documented list and the code agree. Each is a swift-metrics handle; the
/// server exports them in Prometheus' format at `/metrics`. No dimension ever holds a key, a name
/// from a request or an id: only closed sets (products, methods, results).
public enum SignetMetrics {
    /// An order placed (`signet_orders_placed_total{product,dialect}`).
    static func orderPlaced(_ order: Order) {
        Counter(
            label: "signet_orders_placed_total",
            dimensions: [("product", order.productNameID), ("dialect", order.origin.rawValue)]
        ).increment()
    }

    /// A certificate signed and recorded, and how long signing took
    /// (`signet_certificates_issued_total{role}`, `signet_signing_seconds`).
    static func certificateSigned(role: String, nanoseconds: UInt64) {
        Counter(label: "signet_certificates_issued_total", dimensions: [("role", role)]).increment()
        Timer(label: "signet_signing_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// Domain control checks and their results (`signet_dcv_checks_total{method,result}`).
    static func dcvChecked(_ results: [DomainControl.NameResult]) {
        for check in results {
            let result: String
            switch check.outcome {
            case .passed?: result = "passed"
            case .failed?: result = "failed"
            case nil: result = "pending"
            }
            Counter(label: "signet_dcv_checks_total", dimensions: [("method", check.method), ("result", result)]).increment()
        }
    }

    /// A validation e-mail handed to the SMTP server, or not (`signet_emails_total{result}`).
    static func emailSent(_ delivered: Bool) {
        Counter(label: "signet_emails_total", dimensions: [("result", delivered ? "sent" : "failed")]).increment()
    }

    /// A callback attempt (`signet_callbacks_total{result}`: delivered, retry, gave_up).
    public static func callbackAttempted(_ result: String) {
        Counter(label: "signet_callbacks_total", dimensions: [("result", result)]).increment()
    }

    /// Orders by status, as the store counts them (`signet_orders{status}`).
    public static func orderCounts(_ counts: [String: Int]) {
        for (status, count) in counts {
            Gauge(label: "signet_orders", dimensions: [("status", status)]).record(count)
        }
    }

    /// How old each issuer's current CRL is (`signet_crl_age_seconds{issuer}`).
    public static func crlAge(issuer: String, seconds: Double) {
        Gauge(label: "signet_crl_age_seconds", dimensions: [("issuer", issuer)]).record(seconds)
    }
}
