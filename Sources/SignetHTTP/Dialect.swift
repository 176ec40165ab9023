import SignetCore
import SignetRA
import Vapor

/// A front end of Signet: an API dialect (CertCentral, the reseller API, ACME) over the one
/// registration authority.
///
/// A dialect decodes requests, calls the RA and renders answers in its own format; it never opens
/// a write transaction of its own and never imports another dialect. The server registers each
/// dialect with one line, which mounts its routes under its prefix, sends every error on those
/// paths to it for rendering, and hands it the events of the orders it placed.
public protocol Dialect: Sendable {
    /// What the dialect is called, and what it records as the origin of the orders it places.
    var origin: OrderOrigin { get }
    /// The path its routes live under, e.g. `["services", "v2"]`.
    var pathPrefix: [PathComponent] { get }
    /// Adds the dialect's routes to `routes`, which is already grouped under ``pathPrefix``.
    func register(on routes: any RoutesBuilder) throws
    /// The answer to a failed request on the dialect's paths, in its own format: a typed error
    /// mapped to its codes, anything unexpected as its own 500.
    func response(for error: any Error, on request: Request) -> Response
    /// Hears the events of the orders this dialect placed, inside the transaction that makes them.
    var eventSink: (any OrderEventSink)? { get }
    /// Work the dialect does on each background pass (e.g. delivering callbacks).
    func backgroundPass() async
    /// Releases what the dialect holds (HTTP clients) when the server stops.
    func shutdown() async
}

extension Dialect {
    public var eventSink: (any OrderEventSink)? { nil }
    public func backgroundPass() async {}
    public func shutdown() async {}

    /// The prefix as a path, e.g. `/services/v2`.
    public var pathString: String { "/" + pathPrefix.map(\.description).joined(separator: "/") }
}
