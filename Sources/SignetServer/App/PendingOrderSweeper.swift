import Foundation
import Vapor

/// The background pass that issues pending orders once their approval and validation are
/// complete (e.g. after `signet domain validate` ran in another process).
final class PendingOrderSweeper: LifecycleHandler, @unchecked Sendable {
    private let interval: TimeInterval
    private var task: Task<Void, Never>?

    init(interval: TimeInterval) { self.interval = interval }

    func didBootAsync(_ application: Application) async throws {
        let registration = application.signet.registration
        let logger = application.logger
        let interval = self.interval
        task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                if Task.isCancelled { break }
                do {
                    let issued = try await registration.advancePendingOrders()
                    if issued > 0 { logger.info("issued \(issued) pending order(s)") }
                } catch {
                    logger.warning("pending-order pass failed: \(error)")
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        task?.cancel()
    }
}
