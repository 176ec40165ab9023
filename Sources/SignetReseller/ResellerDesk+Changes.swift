import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import SignetValidation

extension ResellerDesk {
    /// Runs a change of one reseller order against the details it read: when another change
    /// (on this instance or another) commits first, the RA refuses this one as a conflict and the
    /// whole change runs again on fresh data, so that concurrent changes cannot undo each other or
    /// charge and refund twice.
    func changingOrder<T>(
        _ caller: ResellerCaller, _ change: (Order, ResellerOrder, ResellerDetails) async throws -> T
    ) async throws -> T {
        try await workflow.retryingUniqueViolations {
            let (order, reseller, details) = try await self.order(caller, serviceID: try caller.parameters.string("service_id"))
            return try await change(order, reseller, details)
        }
    }

    private func record(
        _ caller: ResellerCaller, from reseller: ResellerOrder, _ details: ResellerDetails
    ) throws
        -> ResellerRecord
    {
        ResellerRecord(accessKeyID: caller.accessKeyID, expectedDetails: reseller.detailsJSON, details: try details.json())
    }

    /// `certificate/reissue` (seed 004): new CSR and/or names; names beyond those paid for cost
    /// extra; a reissue that drops names revokes the old certificate once the new one is issued.
    func reissue(_ caller: ResellerCaller, fingerprint: String) async throws -> JSONValue {
        let parameters = caller.parameters
        guard let uniqueID = try parameters.string("unique_id")?.trimmingWhitespace(), !uniqueID.isEmpty else {
            throw ResellerError.invalid("unique_id", "The unique_id field is required.")
        }
        if let earlier = try await repeatAnswer(caller, uniqueID: uniqueID, fingerprint: fingerprint) { return earlier }
        let (order, reseller, details) = try await self.order(caller, serviceID: try parameters.string("service_id"))
        guard let product = order.product else { throw WorkflowError.orderNotFound(String(order.id)) }
        let choices = try Self.domainChoices(parameters)
        let csrText = try parameters.string("csr").flatMap { $0.isEmpty ? nil : $0 }
        guard choices != nil || csrText != nil else {
            throw ResellerError.invalid("domain_dcv", "Give domain_dcv or csr (or both).")
        }
        let current = try await store.read { try $0.currentCertificate(of: order) }
        guard let current else { throw WorkflowError.orderNotFound(String(order.id)) }
        let csr = try Self.checkedCSR(csrText ?? current.csr)
        let names = choices?.names ?? current.names.subjectAlternativeNames(isTLS: product.isTLS)
        let organizationFields = try Self.organizationFields(parameters, product: product)
        if product.validationLevel.needsOrganization {
            for (field, value) in organizationFields
            where details.organization[field] != nil && details.organization[field] != value {
                throw ResellerError.invalid(
                    field, "The organization's details cannot change once an OV or EV certificate was issued.")
            }
        }
        let extra = max(0, names.count - details.purchasedNames)
        var updated = details
        if let choices { updated.domainDCV = choices.raw }
        updated.purchasedNames += extra
        if let email = try parameters.string("contact_email") { updated.contactEmail = email }
        if let url = try await callbackPolicy.check(try parameters.string("notify_url")) { updated.notifyURL = url }

        var submission = OrderSubmission(productNameID: product.nameID)
        submission.origin = .reseller
        let requestedCN = csr.request.subject.commonName?.lowercased()
        let commonName = names.first { $0 == requestedCN } ?? names[0]
        submission.commonName = commonName
        submission.dnsNames = names.filter { $0 != commonName }
        submission.csr = csrText ?? current.csr
        submission.signatureHash = "sha256"
        submission.skipApproval = true
        for (name, choice) in updated.domainDCV {
            let (method, email) = ResellerDetails.method(of: choice)
            submission.dcvMethodsByName[name] = method
            if let email { submission.approverEmails[name] = email }
        }
        var record = try record(caller, from: reseller, updated)
        record.request = .init(uniqueID: uniqueID, fingerprint: fingerprint)
        do {
            _ = try await workflow.reissue(
                orderID: order.id, submission, by: caller.principal, additionalNames: extra, attachment: record)
        } catch {
            // A concurrent twin may have won; it answers for both.
            if let earlier = try await repeatAnswer(caller, uniqueID: uniqueID, fingerprint: fingerprint) { return earlier }
            throw error
        }
        if let answer = try await repeatAnswer(caller, uniqueID: uniqueID, fingerprint: fingerprint) { return answer }
        return try await store.read { try self.renderer.detail(orderID: order.id, connection: $0, now: self.clock.now()) }
    }

    /// The answer to an earlier call under the same `unique_id`, or a refusal when the request differs.
    private func repeatAnswer(_ caller: ResellerCaller, uniqueID: String, fingerprint: String) async throws -> JSONValue? {
        try await store.read { connection in
            guard let earlier = try connection.resellerRequest(accessKeyID: caller.accessKeyID, uniqueID: uniqueID) else {
                return nil
            }
            guard earlier.fingerprint == fingerprint else { throw OrderRuleError.idempotencyKeyReused(uniqueID) }
            return try self.renderer.detail(
                orderID: earlier.orderID, connection: connection, now: self.clock.now(), cost: earlier.cost)
        }
    }

    /// `certificate/update-dcv`: a new method (or approver address) for names of the order; returns the DCV map.
    func updateDCV(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard let choices = try Self.domainChoices(caller.parameters) else {
                throw ResellerError.invalid("domain_dcv", "The domain_dcv field is required.")
            }
            var updated = details
            for name in choices.names { updated.domainDCV[name] = choices.raw[name] }
            do {
                _ = try await workflow.changeDCV(
                    orderID: order.id, methods: choices.methods, emails: choices.emails,
                    record: try record(caller, from: reseller, updated), by: caller.principal)
            } catch WorkflowError.nameNotOnOrder(let name, let reason) {
                throw ResellerError.invalid("domain_dcv", "\(name) \(reason)")
            }
            let data = try await store.read { try self.renderer.detail(orderID: order.id, connection: $0, now: self.clock.now()) }
            if case .object(let fields) = data, let dcv = fields["dcv"] { return dcv }
            return data
        }
    }

    /// `certificate/validate-dcv`: checks now; answers the detail whatever the outcome.
    func validateDCV(_ caller: ResellerCaller) async throws -> JSONValue {
        let (order, _, _) = try await self.order(caller, serviceID: try caller.parameters.string("service_id"))
        _ = try await workflow.checkDCV(orderID: order.id, by: caller.principal)
        return try await store.read { try self.renderer.detail(orderID: order.id, connection: $0, now: self.clock.now()) }
    }

    /// `certificate/add-san`: buys `san` more names for the order's remaining term.
    func addSAN(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard let count = try caller.parameters.int("san"), (1...100).contains(count) else {
                throw ResellerError.invalid("san", "san must be a number of names from 1 to 100")
            }
            guard let product = order.product, product.additionalNamesAllowed else {
                throw ResellerError.invalid("san", "this product takes no additional names")
            }
            var updated = details
            updated.purchasedNames += count
            let cost = try await workflow.buyNames(
                orderID: order.id, count: count, record: try record(caller, from: reseller, updated), by: caller.principal)
            return .object(["cost": .number(cost.asDouble), "service_id": .string(reseller.serviceID)])
        }
    }

    /// `certificate/remove-san`: drops a name that cannot be validated from an order not yet issued, crediting it back.
    func removeSAN(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard let domain = try caller.parameters.string("domain")?.lowercased(), !domain.isEmpty else {
                throw ResellerError.invalid("domain", "The domain field is required.")
            }
            var updated = details
            updated.domainDCV.removeValue(forKey: domain)
            let refundOneName = updated.purchasedNames > 1
            if refundOneName { updated.purchasedNames -= 1 }
            do {
                _ = try await workflow.removeName(
                    domain, orderID: order.id, refundOneName: refundOneName, record: try record(caller, from: reseller, updated),
                    by: caller.principal)
            } catch WorkflowError.nameNotOnOrder(let name, let reason) {
                throw ResellerError.invalid("domain", "\(name) \(reason)")
            }
            // The API's answer (reseller.md 5.4): the removed name's share was refunded.
            return .object(["service_id": .string(reseller.serviceID), "status": .string("refunded")])
        }
    }

    /// `certificate/refund`: cancels (or, once issued, revokes) the order and credits back all it cost.
    func refund(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard !details.refunded else {
                throw WorkflowError.invalidOrderStatus(id: order.id, status: order.status, action: "refunded again")
            }
            var updated = details
            updated.refunded = true
            try await workflow.refund(
                orderID: order.id, note: "refund of \(reseller.serviceID)", record: try record(caller, from: reseller, updated),
                by: caller.principal)
            return .object(["service_id": .string(reseller.serviceID), "status": .string("refunded")])
        }
    }
}
