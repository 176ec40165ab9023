import Foundation
import SignetRA
import Vapor

/// The server's background work, one pass every few seconds:
/// - re-check the domain control of orders whose check is due (with backoff);
/// - issue approved certificates once their validation is complete (e.g. after
///   `signet domain validate` ran in another process, or an approver followed an e-mailed link);
/// - hand unsent validation e-mail to the SMTP server, and due callbacks to resellers' notify URLs;
/// - rebuild the CRL before it is due, even when nothing was revoked;
/// - place the automatic renewals that are due (`auto_renew`);
/// - fold the order count changes into the counts that lists report as `page.total`.
final class BackgroundJobs: LifecycleHandler, @unchecked Sendable {
    private let interval: TimeInterval
    private var task: Task<Void, Never>?

    init(interval: TimeInterval) { self.interval = interval }

    func didBootAsync(_ application: Application) async throws {
        let services = application.services
        let logger = application.logger
        let interval = self.interval
        task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                if Task.isCancelled { break }
                do {
                    _ = try await services.registration.domainControl.checkDueOrders()
                    let issued = try await services.registration.advanceApprovedCertificates()
                    if issued > 0 { logger.info("issued \(issued) approved certificate(s)") }
                    await services.registration.domainControl.deliverPendingEmails()
                    for dialect in services.dialects { await dialect.backgroundPass() }
                    try await services.registration.revocations.refreshCRLs(store: services.store, now: services.clock.now())
                    try await services.store.write { try $0.foldOrderCountChanges() }
                    let (counts, crls) = try await services.store.read { (try $0.orderCountsByStatus(), try $0.crlIssueDates()) }
                    SignetMetrics.orderCounts(counts)
                    let now = services.clock.now()
                    for (issuer, issued) in crls { SignetMetrics.crlAge(issuer: issuer, seconds: now.timeIntervalSince(issued)) }
                    let renewals = try await services.registration.renewDueOrders()
                    for renewal in renewals.renewed {
                        logger.info("order \(renewal.orderID) renewed automatically by order \(renewal.renewalID)")
                    }
                    for failure in renewals.failed {
                        let retry = failure.nextAttempt.map { "retrying at \($0)" } ?? "the order has ended; not retrying"
                        logger.warning("automatic renewal of order \(failure.orderID) failed: \(failure.reason); \(retry)")
                    }
                } catch {
                    logger.warning("background pass failed: \(error)")
                }
            }
        }
    }

    /// Waits for a pass in flight, so that it never outlives the database, then closes the DCV web client.
    func shutdownAsync(_ application: Application) async {
        task?.cancel()
        await task?.value
        try? await application.services.registration.domainControl.checker.web.shutdown()
        for dialect in application.services.dialects { await dialect.shutdown() }
    }
}
