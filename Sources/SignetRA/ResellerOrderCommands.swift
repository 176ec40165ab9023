import Foundation
import SignetCore
import SignetStore
import SignetValidation

/// The reseller API's changes of an order, as commands of the registration authority: each one
/// transaction, priced by ``Product`` and recorded with the dialect's ``OrderAttachment``.
extension RegistrationAuthority {
    private func lockedOrder(_ orderID: Int, principal: Principal, connection: WriteSession) throws -> Order {
        guard let order = try connection.order(id: orderID, forUpdate: true), principal.canSee(containerID: order.containerID),
            order.product != nil
        else { throw WorkflowError.orderNotFound(String(orderID)) }
        return order
    }

    private func price(_ names: Int, of order: Order) throws -> Money {
        guard let product = order.product, let cost = product.priceOfAdditionalNames(names, years: order.billedYears) else {
            throw OrderRuleError.tooManyNames(limit: order.product?.maximumNames ?? 0)
        }
        return cost
    }

    /// Buys `count` more names for the order's term (`add-san`); returns what it cost.
    public func buyNames(orderID: Int, count: Int, record: any OrderAttachment, by principal: Principal) async throws -> Money {
        let now = clock.now()
        return try await store.write { connection in
            let order = try self.lockedOrder(orderID, principal: principal, connection: connection)
            let cost = try self.price(count, of: order)
            try record.write(for: order, cost: cost, connection: connection, at: now)
            try Self.charge(
                cost, orderID: order.id, note: "\(count) SAN(s) for order \(order.id)", connection: connection, at: now)
            return cost
        }
    }

    /// Drops `name` from an order not yet issued (`remove-san`); credits one paid name back when
    /// `refundOneName`. The common name stays.
    public func removeName(
        _ name: String, orderID: Int, refundOneName: Bool, record: any OrderAttachment, by principal: Principal
    ) async throws -> Order {
        let now = clock.now()
        return try await store.write { connection in
            let order = try self.lockedOrder(orderID, principal: principal, connection: connection)
            guard [.pending, .needsApproval].contains(order.status) else {
                throw WorkflowError.invalidOrderStatus(id: order.id, status: order.status, action: "changed by remove-san")
            }
            guard let certificate = try connection.currentCertificate(of: order) else {
                throw WorkflowError.orderNotFound(String(orderID))
            }
            guard name != certificate.names.commonName, certificate.names.dnsNames.contains(name) else {
                throw WorkflowError.nameNotOnOrder(
                    name: name, reason: "is not an additional name of this order (the first name stays)")
            }
            var names = certificate.names
            names.dnsNames.removeAll { $0 == name }
            try connection.setCertificateNames(id: certificate.id, orderID: order.id, names, isCurrent: true, at: now)
            try record.write(for: order, cost: .zero, connection: connection, at: now)
            if refundOneName {
                let refund = try self.price(1, of: order)
                if refund.cents > 0 {
                    _ = try connection.post(refund, kind: .refund, orderID: order.id, note: "\(name) removed", at: now)
                }
            }
            if var dcv = order.dcv {
                dcv.names.removeValue(forKey: name)
                try connection.setOrderDCV(orderID: order.id, dcv, nextCheck: dcv.awaitsChecks ? now : nil)
            }
            return order
        }
    }

    /// Ends the order for a refund: cancels it before issuance, revokes it after, and credits back
    /// everything it cost.
    public func refund(orderID: Int, note: String, record: any OrderAttachment, by principal: Principal) async throws {
        let now = clock.now()
        try await store.write { connection in
            let order = try self.lockedOrder(orderID, principal: principal, connection: connection)
            switch order.status {
            case .issued, .reissuePending:
                try self.revokeNow(
                    order: order, certificateID: nil, reason: .cessationOfOperation, connection: connection, now: now,
                    processorID: principal.user.id)
            case .needsApproval, .pending:
                try self.withdrawUnissued(
                    order, as: .canceled, processorID: principal.user.id, comment: "refunded", connection: connection, now: now)
            case .revoked, .canceled, .rejected, .expired:
                break
            }
            try Self.refundAll(orderID: order.id, note: note, connection: connection, at: now)
            try record.write(for: order, cost: .zero, connection: connection, at: now)
            try self.events.emit(.refunded, order: order, connection: connection, at: now)
        }
    }

    /// Chooses the DCV method (and approver address) of some of the order's names; names still
    /// waiting start over with the new method, and e-mail sends new messages.
    public func changeDCV(
        orderID: Int, methods: [String: String], emails: [String: String], record: any OrderAttachment, by principal: Principal
    ) async throws -> Order {
        let now = clock.now()
        let order = try await store.write { connection -> Order in
            var order = try self.lockedOrder(orderID, principal: principal, connection: connection)
            let isTLS = order.product?.isTLS ?? true
            let known = Set(
                try connection.certificates(orderID: order.id).flatMap { $0.names.subjectAlternativeNames(isTLS: isTLS) })
            if let foreign = methods.keys.sorted().first(where: { !known.contains($0) }) {
                throw WorkflowError.nameNotOnOrder(name: foreign, reason: "is not a name of this order")
            }
            var dcv =
                order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
            for (name, method) in methods {
                guard var state = dcv.names[name] else { continue }
                state.method = method
                state.detail = nil
                dcv.names[name] = state
            }
            order.dcv = dcv
            try record.write(for: order, cost: .zero, connection: connection, at: now)
            try connection.setOrderDCV(orderID: order.id, dcv, nextCheck: dcv.awaitsChecks ? now : nil)
            for (name, email) in emails.sorted(by: { $0.key < $1.key }) where dcv.names[name]?.status == "pending" {
                try self.domainControl.queueEmails(
                    for: [name], recipients: [email], orderID: order.id, domainID: nil, containerID: order.containerID,
                    connection: connection, at: now)
            }
            try self.events.emit(.dcvUpdated, order: order, connection: connection, at: now)
            return order
        }
        let control = domainControl
        Task { await control.deliverPendingEmails() }
        return order
    }
}
