import Dispatch
import Foundation
import Metrics

/// The store's timings (docs/operations.md, "Metrics"): `signet_store_write_seconds` from a write's
/// call to its durable commit (the wait for the writer included), `signet_store_transaction_seconds`
/// for the work inside the transaction alone, `signet_store_read_seconds` for reads.
///
/// Each timer is made once and kept, because making one searches the metrics registry under its
/// lock at every store call. One made before the server bootstraps its metrics would record into
/// the no-op system forever, so a timer of the no-op system is never kept.
enum StoreMetrics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var timers: [String: Timer] = [:]

    static func record(_ label: String, since start: UInt64) {
        timer(label).recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
    }

    private static func timer(_ label: String) -> Timer {
        if let known = lock.withLock({ timers[label] }) { return known }
        let made = Timer(label: label, preferredDisplayUnit: .seconds)
        if !(MetricsSystem.factory is NOOPMetricsHandler) { lock.withLock { timers[label] = made } }
        return made
    }
}
