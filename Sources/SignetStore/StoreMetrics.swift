import Dispatch
import Foundation
import Metrics

/// The store's timings and counts (docs/operations.md, "Metrics"): `signet_store_write_seconds`
/// from a write's call to its durable commit (the wait for the writer included),
/// `signet_store_transaction_seconds` for the work inside the transaction alone,
/// `signet_store_read_seconds` for reads; `signet_store_statements_total` for every statement and
/// `signet_store_json_columns_total` for every JSON column read, decoded or remembered
/// (`bench/count-work` divides them by the requests of a load).
///
/// Each handle is made once and kept, because making one searches the metrics registry under its
/// lock at every store call. One made before the server bootstraps its metrics would record into
/// the no-op system forever, so a handle of the no-op system is never kept.
enum StoreMetrics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var timers: [String: Timer] = [:]
    nonisolated(unsafe) private static var counters: [String: Counter] = [:]

    static func record(_ label: String, since start: UInt64) {
        timer(label).recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
    }

    static func statement() { counter("signet_store_statements_total").increment() }

    /// A JSON column read: `remembered` when a recent decode of the same text served it.
    static func jsonColumn(remembered: Bool) {
        counter("signet_store_json_columns_total", result: remembered ? "remembered" : "decoded").increment()
    }

    private static func timer(_ label: String) -> Timer {
        if let known = lock.withLock({ timers[label] }) { return known }
        let made = Timer(label: label, preferredDisplayUnit: .seconds)
        if !(MetricsSystem.factory is NOOPMetricsHandler) { lock.withLock { timers[label] = made } }
        return made
    }

    private static func counter(_ label: String, result: String? = nil) -> Counter {
        let key = result.map { label + " " + $0 } ?? label
        if let known = lock.withLock({ counters[key] }) { return known }
        let made = Counter(label: label, dimensions: result.map { [("result", $0)] } ?? [])
        if !(MetricsSystem.factory is NOOPMetricsHandler) { lock.withLock { counters[key] = made } }
        return made
    }
}
