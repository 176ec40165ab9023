import Foundation
import SignetCore
import SignetStore

/// Something that hears about order changes inside the transaction that makes them, so that
/// what it records (a callback to deliver) commits with the change or not at all.
public protocol OrderEventSink: Sendable {
    func record(_ event: OrderEvent, orderID: Int, connection: WriteSession, at date: Date) throws
}

/// The sinks of a running Signet. Filled once at start, before any request.
public final class OrderEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var sinks: [OrderOrigin: any OrderEventSink] = [:]

    public init() {}

    /// Sends the events of the orders `origin` placed to `sink`.
    public func add(_ sink: any OrderEventSink, for origin: OrderOrigin) { lock.withLock { sinks[origin] = sink } }

    /// Tells the dialect that placed `order` about `event`, in the caller's transaction.
    public func emit(_ event: OrderEvent, order: Order, connection: WriteSession, at date: Date) throws {
        guard let sink = lock.withLock({ sinks[order.origin] }) else { return }
        try sink.record(event, orderID: order.id, connection: connection, at: date)
    }
}
