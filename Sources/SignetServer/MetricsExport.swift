import Foundation
import Metrics
import Prometheus
import Vapor

/// `/metrics` in Prometheus' text format (docs/operations.md, "Metrics"): what swift-metrics
/// handles record across Signet, from one registry per process. The metrics system is bootstrapped
/// once, by `serve`; servers started in-process (tests) record into swift-metrics' no-op default.
enum MetricsExport {
    private static let shared = Shared()

    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var registry: PrometheusCollectorRegistry?
    }

    /// The process's registry, bootstrapping the metrics system the first time.
    static func registry() -> PrometheusCollectorRegistry {
        shared.lock.withLock {
            if let registry = shared.registry { return registry }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            shared.registry = registry
            return registry
        }
    }

    static func mount(on app: Application) {
        let registry = registry()
        app.get("metrics") { _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            let response = Response(status: .ok, body: .init(data: Data(buffer)))
            response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
    }
}
