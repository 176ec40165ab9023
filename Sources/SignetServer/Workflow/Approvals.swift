import Foundation
import SignetCore
import SignetStore

extension RegistrationAuthority {
    /// Approves or rejects a pending request.
    ///
    /// Approving a new order moves it to `pending` and issues it at once when validation is
    /// complete. Rejecting it marks order and certificate rejected and credits the price back,
    /// so that a rejected order costs nothing.
    public func decide(requestID: Int, approve: Bool, comment: String?, by principal: Principal) async throws {
        guard principal.role.mayApprove else {
            throw WorkflowError.forbidden("only administrators and managers approve or reject requests")
        }
        let now = clock.now()
        try await retryingUniqueViolations {
            try await store.write { connection in
                guard let request = try await connection.request(id: requestID),
                    let order = try await connection.order(id: request.orderID),
                    principal.canSee(containerID: order.containerID)
                else { throw WorkflowError.requestNotFound(requestID) }
                guard request.status == .pending || request.status == .submitted else {
                    throw WorkflowError.requestAlreadyProcessed(id: requestID, status: request.status)
                }
                try await connection.decideRequest(
                    id: requestID, status: approve ? .approved : .rejected, processorID: principal.user.id,
                    comment: comment, at: now)
                guard request.type == .newRequest, let certificateID = request.certificateID,
                    let certificate = try await connection.certificate(id: certificateID)
                else { return }
                if approve {
                    var approved = order
                    approved.status = .pending
                    try await connection.setOrderStatus(orderID: order.id, status: .pending, at: now)
                    _ = try await issueIfReady(approved, certificate, csr: nil, connection: connection, now: now)
                } else {
                    try await connection.setOrderStatus(orderID: order.id, status: .rejected, at: now)
                    try await connection.setCertificateStatus(id: certificateID, status: .rejected)
                    try await connection.post(
                        order.price, kind: .refund, orderID: order.id, note: "request \(requestID) rejected", at: now)
                }
            }
        }
    }
}
