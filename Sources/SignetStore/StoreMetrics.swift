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
    /// What a store timer measures; its raw value is the metric's label.
    enum Timing: String {
        case read = "signet_store_read_seconds"
        case write = "signet_store_write_seconds"
        case transaction = "signet_store_transaction_seconds"
    }

    private enum Count: Hashable {
        case statements
        case jsonColumn(remembered: Bool)
    }

    private static let timers = Handles<Timing, Timer>()
    private static let counters = Handles<Count, Counter>()

    static func record(_ timing: Timing, since start: UInt64) {
        timers.handle(timing) { Timer(label: timing.rawValue, preferredDisplayUnit: .seconds) }
            .recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
    }

    static func statement() {
        counters.handle(.statements) { Counter(label: "signet_store_statements_total") }.increment()
    }

    /// A JSON column read: `remembered` when a recent decode of the same text served it.
    static func jsonColumn(remembered: Bool) {
        counters.handle(.jsonColumn(remembered: remembered)) {
            Counter(label: "signet_store_json_columns_total", dimensions: [("result", remembered ? "remembered" : "decoded")])
        }.increment()
    }
}

/// Metric handles made once per key (an enum case: no label is built or hashed per call), and
/// kept only once the real metrics system is in place.
private final class Handles<Key: Hashable, Handle>: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [Key: Handle] = [:]

    func handle(_ key: Key, make: () -> Handle) -> Handle {
        if let known = lock.withLock({ made[key] }) { return known }
        let handle = make()
        if !(MetricsSystem.factory is NOOPMetricsHandler) { lock.withLock { made[key] = handle } }
        return handle
    }
}
