import Dispatch
import Metrics

/// The store's timings (docs/operations.md, "Metrics"): `signet_store_write_seconds` from a write's
/// call to its durable commit (the wait for the writer included), `signet_store_transaction_seconds`
/// for the work inside the transaction alone, `signet_store_read_seconds` for reads. The handle is
/// made at each record, because one made before the server bootstraps its metrics would record
/// into the no-op system forever.
enum StoreMetrics {
    static func record(_ label: String, since start: UInt64) {
        Timer(label: label, preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
    }
}
