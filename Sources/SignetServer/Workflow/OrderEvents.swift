import Foundation
import SignetStore

/// A change of an order that dialects may announce (the reseller's `notify_url`).
public enum OrderEvent: String, Sendable {
    case issued = "certificate.issued"
    case dcvUpdated = "dcv.updated"
    case revoked = "certificate.revoked"
    case refunded
}

/// Something that hears about order changes inside the transaction that makes them, so that
/// what it records (a callback to deliver) commits with the change or not at all.
public protocol OrderEventSink: Sendable {
    func record(_ event: OrderEvent, orderID: Int, connection: WriteSession, at date: Date) throws
}

/// The sinks of a running Signet. Filled once at start, before any request.
public final class OrderEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var sinks: [any OrderEventSink] = []

    public init() {}

    public func add(_ sink: any OrderEventSink) { lock.withLock { sinks.append(sink) } }

    func emit(_ event: OrderEvent, orderID: Int, connection: WriteSession, at date: Date) throws {
        for sink in lock.withLock({ sinks }) { try sink.record(event, orderID: orderID, connection: connection, at: date) }
    }
}
