import Foundation
import SignetCore
import SignetStore

extension RegistrationAuthority {
    /// Approves or rejects a pending request of any type.
    ///
    /// - New orders, reissues and duplicates: approving makes the certificate `approved` and
    ///   issues it at once when validation is complete; rejecting marks it rejected. A rejected new
    ///   order is credited back, so it costs nothing; a rejected reissue returns the order to `issued`.
    /// - Revocations: approving revokes what the request names; rejecting changes nothing.
    public func decide(requestID: Int, approve: Bool, comment: String?, by principal: Principal) async throws {
        guard principal.role.mayApprove else {
            throw WorkflowError.forbidden("only administrators and managers approve or reject requests")
        }
        let now = clock.now()
        // CAA is a network check: run it before the transaction, for the certificate this request would issue.
        var caaCleared = dcvMode == .alwaysValid
        if approve, dcvMode == .checked,
            let (certificate, order) = try await store.read({ connection -> (CertificateRecord, Order)? in
                guard let request = try connection.request(id: requestID), request.type != .revoke,
                    let id = request.certificateID, let certificate = try connection.certificate(id: id),
                    let order = try connection.order(id: request.orderID)
                else { return nil }
                return (certificate, order)
            }), let product = order.product
        {
            caaCleared = try await precheck(
                names: certificate.names, product: product, scope: order.dcvScope, orderDCV: order.dcv,
                containerID: order.containerID, organizationID: order.organizationID,
                acmeUserID: order.origin == .acme ? order.userID : nil, now: now
            ).cleared
        }
        let cleared = caaCleared
        let pending = try await retryingUniqueViolations {
            try await store.write { connection -> PendingSignature? in
                guard let request = try connection.request(id: requestID, forUpdate: true),
                    let order = try connection.order(id: request.orderID, forUpdate: true),
                    principal.canSee(containerID: order.containerID)
                else { throw WorkflowError.requestNotFound(requestID) }
                guard request.status == .pending || request.status == .submitted else {
                    throw WorkflowError.requestAlreadyProcessed(id: requestID, status: request.status)
                }
                try connection.decideRequest(
                    id: requestID, status: approve ? .approved : .rejected, processorID: principal.user.id,
                    comment: comment, at: now)
                if request.type == .revoke {
                    if approve {
                        try self.revokeNow(
                            order: order, certificateID: request.certificateID,
                            reason: request.revocationReason ?? .unspecified, connection: connection, now: now,
                            processorID: principal.user.id)
                    }
                    return nil
                }
                // An order opened without its CSR has no certificate yet: approving it approves
                // the order, and its certificate is requested approved when it is finalized.
                let certificate = try request.certificateID.flatMap { try connection.certificate(id: $0, forUpdate: true) }
                if approve {
                    var approvedOrder = order
                    if request.type == .newRequest {
                        try self.move(&approvedOrder, .approve, processorID: principal.user.id, connection: connection, now: now)
                    }
                    guard var certificate else { return nil }
                    certificate.status = try CertificateLifecycle.transition(from: certificate.status, .approve)
                    try connection.setCertificateStatus(id: certificate.id, status: certificate.status)
                    return try self.reserveIfReady(
                        approvedOrder, certificate, csr: nil, caaCleared: cleared, connection: connection, now: now)
                } else {
                    if let certificate {
                        try connection.setCertificateStatus(
                            id: certificate.id, status: try CertificateLifecycle.transition(from: certificate.status, .reject))
                    }
                    switch request.type {
                    case .newRequest:
                        try self.withdrawUnissued(
                            order, as: .rejected, processorID: principal.user.id,
                            comment: "request \(requestID) was rejected", connection: connection, now: now)
                        try Self.refundAll(
                            orderID: order.id, note: "request \(requestID) rejected", connection: connection, at: now)
                    case .reissue:
                        var order = order
                        try self.move(&order, .withdrawReissue, connection: connection, now: now)
                    case .duplicate, .revoke:
                        break
                    }
                    return nil
                }
            }
        }
        if let pending { _ = await completeOrLeave(pending) }
    }
}
