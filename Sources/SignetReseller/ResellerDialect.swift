import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetValidation
import Vapor

/// The AnquanSSL reseller API under `/api/v1`: signed calls, Laravel-style answers, callbacks to
/// each order's `notify_url`.
public struct ResellerDialect: Dialect {
    public struct Settings: Sendable {
        /// The brand domain in Sectigo-style DCV values (`--reseller-dcv-brand`).
        public var dcvBrand: String
        /// First delay before a failed callback is retried (`--callback-retry-base`).
        public var callbackRetryBase: TimeInterval

        public init(dcvBrand: String, callbackRetryBase: TimeInterval) {
            self.dcvBrand = dcvBrand
            self.callbackRetryBase = callbackRetryBase
        }
    }

    let desk: ResellerDesk
    let accounts: ResellerAccounts
    let callbacks: CallbackDelivery
    let renderer: ResellerRenderer

    public init(
        workflow: any ResellerWorkflow, accounts: ResellerAccounts, outbound: OutboundAddressPolicy, clock: any WallClock,
        settings: Settings
    ) {
        renderer = ResellerRenderer(brand: settings.dcvBrand, authority: workflow.authority)
        let policy = CallbackAddressPolicy(outbound: outbound)
        desk = ResellerDesk(workflow: workflow, renderer: renderer, callbackPolicy: policy)
        self.accounts = accounts
        callbacks = CallbackDelivery(accounts: accounts, clock: clock, policy: policy, retryBase: settings.callbackRetryBase)
    }

    public var origin: OrderOrigin { .reseller }
    public var pathPrefix: [PathComponent] { ["api", "v1"] }

    public func register(on routes: any RoutesBuilder) throws {
        try routes.register(collection: ResellerRoutes(desk: desk, accounts: accounts))
    }

    public func response(for error: any Error, on request: Request) -> Response {
        if let mapped = ResellerErrorTable.map(error) { return mapped.response() }
        if let abort = error as? any AbortError {
            let code =
                abort.status == .notFound ? "NOT_FOUND" : abort.status == .payloadTooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST"
            return ResellerError(abort.status == .methodNotAllowed ? .notFound : abort.status, code, abort.reason).response()
        }
        return ResellerError(.internalServerError, "INTERNAL_ERROR", "An internal error occurred.").response()
    }

    public var eventSink: (any OrderEventSink)? { ResellerCallbacks(renderer: renderer) }

    public func backgroundPass() async { await callbacks.deliverDue() }

    public func shutdown() async { try? await callbacks.shutdown() }
}
