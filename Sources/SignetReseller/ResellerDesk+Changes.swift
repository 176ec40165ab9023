import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import SignetValidation

extension ResellerDesk {
    private func encode(_ details: ResellerDetails) throws -> String {
        String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
    }

    /// Runs a change of one reseller order so that concurrent changes, on this instance or another,
    /// cannot undo each other or charge and refund twice: `change` reads the order, and its
    /// transaction begins with `confirmUnchanged`; when the order changed in between, the whole
    /// change runs again on fresh data.
    func changingOrder<T>(
        _ caller: ResellerCaller, _ change: (Order, ResellerOrder, ResellerDetails) async throws -> T
    ) async throws -> T {
        try await registration.retryingUniqueViolations {
            let (order, reseller, details) = try await self.order(caller, serviceID: try caller.parameters.string("service_id"))
            return try await change(order, reseller, details)
        }
    }

    /// Locks the order's row and checks that it and its reseller details are as read before the
    /// transaction (`order` nil: only the details); a difference is retried as a race.
    static func confirmUnchanged(_ order: Order?, _ reseller: ResellerOrder, connection: StoreSession<some SessionAccess>) throws {
        let locked = try connection.order(id: reseller.orderID, forUpdate: true)
        let current = try connection.resellerOrder(orderID: reseller.orderID)
        guard current?.detailsJSON == reseller.detailsJSON, order == nil || locked == order else {
            throw StoreError.uniqueViolation("order \(reseller.orderID) changed concurrently")
        }
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
        let current = try await store.read { try $0.certificate(id: order.certificateID) }
        guard let current else { throw WorkflowError.orderNotFound(String(order.id)) }
        let csr = try Self.checkedCSR(csrText ?? current.csr)
        let names = choices?.names ?? current.names.subjectAlternativeDNSNames(isTLS: product.isTLS)
        var domainDCV = details.domainDCV
        if let choices { domainDCV = choices.raw }
        let organizationFields = try Self.organizationFields(parameters, product: product)
        if product.validationLevel.needsOrganization {
            for (field, value) in organizationFields where details.organization[field] != nil && details.organization[field] != value {
                throw ResellerError.invalid(field, "The organization's details cannot change once an OV or EV certificate was issued.")
            }
        }
        let extra = max(0, names.count - details.purchasedNames)
        let cost = Money(cents: product.pricePerAdditionalName.cents * Int64(extra) * Int64(order.billedYears))
        var updated = details
        updated.domainDCV = domainDCV
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
        for (name, choice) in domainDCV {
            let (method, email) = ResellerDetails.method(of: choice)
            submission.dcvMethodsByName[name] = method
            if let email { submission.approverEmails[name] = email }
        }
        let detailsJSON = try encode(updated)
        let accessKeyID = caller.accessKeyID
        let now = clock.now()
        do {
            _ = try await registration.reissue(orderID: order.id, submission, by: caller.principal) { connection, order in
                try Self.confirmUnchanged(nil, reseller, connection: connection)
                try RegistrationAuthority.charge(cost, orderID: order.id, note: "reissue of order \(order.id)", connection: connection, at: now)
                try connection.setResellerDetails(orderID: order.id, detailsJSON)
                try connection.recordResellerRequest(
                    accessKeyID: accessKeyID, uniqueID: uniqueID, fingerprint: fingerprint, orderID: order.id, cost: cost, at: now)
            }
        } catch {
            // A concurrent twin may have won; it answers for both.
            if let earlier = try await repeatAnswer(caller, uniqueID: uniqueID, fingerprint: fingerprint) { return earlier }
            throw error
        }
        return try await store.read { try self.renderer.detail(orderID: order.id, connection: $0, now: self.clock.now(), cost: cost) }
    }

    /// The answer to an earlier call under the same `unique_id`, or a refusal when the request differs.
    private func repeatAnswer(_ caller: ResellerCaller, uniqueID: String, fingerprint: String) async throws -> JSONValue? {
        try await store.read { connection in
            guard let earlier = try connection.resellerRequest(accessKeyID: caller.accessKeyID, uniqueID: uniqueID) else { return nil }
            guard earlier.fingerprint == fingerprint else { throw OrderRuleError.idempotencyKeyReused(uniqueID) }
            return try self.renderer.detail(orderID: earlier.orderID, connection: connection, now: self.clock.now(), cost: earlier.cost)
        }
    }

    /// `certificate/update-dcv`: a new method (or approver address) for names of the order; returns the DCV map.
    func updateDCV(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard let choices = try Self.domainChoices(caller.parameters) else {
                throw ResellerError.invalid("domain_dcv", "The domain_dcv field is required.")
            }
            let now = clock.now()
            let control = registration.domainControl
            let data = try await store.write { connection -> JSONValue in
                try Self.confirmUnchanged(order, reseller, connection: connection)
                let certificates = try connection.certificates(orderID: order.id)
                let known = Set(certificates.flatMap { $0.names.subjectAlternativeDNSNames(isTLS: order.product?.isTLS ?? true) })
                if let foreign = choices.names.first(where: { !known.contains($0) }) {
                    throw ResellerError.invalid("domain_dcv", "\(foreign) is not a name of this order")
                }
                var updated = details
                var dcv = order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
                for name in choices.names {
                    updated.domainDCV[name] = choices.raw[name]
                    if var state = dcv.names[name] {
                        state.method = choices.methods[name] ?? state.method
                        state.detail = nil
                        dcv.names[name] = state
                    }
                }
                try connection.setResellerDetails(orderID: order.id, try self.encode(updated))
                try connection.setOrderDCV(orderID: order.id, dcv, nextCheck: dcv.awaitsChecks ? now : nil)
                for (name, email) in choices.emails where dcv.names[name]?.status == "pending" {
                    try control.queueEmails(
                        for: [name], recipients: [email], orderID: order.id, domainID: nil, containerID: order.containerID,
                        connection: connection, at: now)
                }
                try control.events.emit(.dcvUpdated, order: order, connection: connection, at: now)
                return try self.renderer.detail(orderID: order.id, connection: connection, now: now)
            }
            Task { await control.deliverPendingEmails() }
            if case .object(let fields) = data, let dcv = fields["dcv"] { return dcv }
            return data
        }
    }

    /// `certificate/validate-dcv`: checks now; answers the detail whatever the outcome.
    func validateDCV(_ caller: ResellerCaller) async throws -> JSONValue {
        let (order, _, _) = try await self.order(caller, serviceID: try caller.parameters.string("service_id"))
        _ = try await registration.checkDCV(orderID: order.id, by: caller.principal)
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
            let cost = Money(cents: product.pricePerAdditionalName.cents * Int64(count) * Int64(order.billedYears))
            var updated = details
            updated.purchasedNames += count
            let json = try encode(updated)
            let now = clock.now()
            try await store.write { connection in
                try Self.confirmUnchanged(order, reseller, connection: connection)
                try RegistrationAuthority.charge(cost, orderID: order.id, note: "\(count) SAN(s) for order \(order.id)", connection: connection, at: now)
                try connection.setResellerDetails(orderID: order.id, json)
            }
            return .object(["cost": .number(cost.asDouble), "service_id": .string(ResellerDetails.serviceID(orderID: order.id))])
        }
    }

    /// `certificate/remove-san`: drops a name that cannot be validated from an order not yet issued, crediting it back.
    func removeSAN(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard let domain = try caller.parameters.string("domain")?.lowercased(), !domain.isEmpty else {
                throw ResellerError.invalid("domain", "The domain field is required.")
            }
            guard [.pending, .needsApproval].contains(order.status), let product = order.product else {
                throw WorkflowError.invalidOrderStatus(id: order.id, status: order.status, action: "changed by remove-san")
            }
            let now = clock.now()
            return try await store.write { connection in
                try Self.confirmUnchanged(order, reseller, connection: connection)
                guard let certificate = try connection.certificate(id: order.certificateID) else { throw WorkflowError.orderNotFound(reseller.serviceID) }
                guard domain != certificate.names.commonName, certificate.names.dnsNames.contains(domain) else {
                    throw ResellerError.invalid("domain", "\(domain) is not an additional name of this order (the first name stays)")
                }
                var names = certificate.names
                names.dnsNames.removeAll { $0 == domain }
                try connection.setCertificateNames(id: certificate.id, orderID: order.id, names, isCurrent: true, at: now)
                var updated = details
                updated.domainDCV.removeValue(forKey: domain)
                let refund = Money(cents: product.pricePerAdditionalName.cents * Int64(order.billedYears))
                if updated.purchasedNames > 1 {
                    updated.purchasedNames -= 1
                    try connection.post(refund, kind: .refund, orderID: order.id, note: "\(domain) removed", at: now)
                }
                try connection.setResellerDetails(orderID: order.id, try self.encode(updated))
                if var dcv = order.dcv {
                    dcv.names.removeValue(forKey: domain)
                    try connection.setOrderDCV(orderID: order.id, dcv, nextCheck: dcv.awaitsChecks ? now : nil)
                }
                let status = ResellerRenderer.status(order, details: updated, allValidated: false)
                return .object(["service_id": .string(reseller.serviceID), "status": .string(status)])
            }
        }
    }

    /// `certificate/refund`: cancels (or, once issued, revokes) the order and credits back all it cost.
    func refund(_ caller: ResellerCaller) async throws -> JSONValue {
        try await changingOrder(caller) { order, reseller, details in
            guard !details.refunded else { throw WorkflowError.invalidOrderStatus(id: order.id, status: order.status, action: "refunded again") }
            let now = clock.now()
            let registration = self.registration
            try await store.write { connection in
                try Self.confirmUnchanged(order, reseller, connection: connection)
                guard let order = try connection.order(id: order.id) else { return }
                switch order.status {
                case .issued:
                    try registration.revokeNow(
                        order: order, certificateID: nil, reason: .cessationOfOperation, connection: connection, now: now,
                        processorID: caller.principal.user.id)
                case .revoked:
                    break
                default:
                    try registration.withdrawUnissued(
                        order, as: .canceled, processorID: caller.principal.user.id, comment: "refunded", connection: connection,
                        now: now)
                }
                try RegistrationAuthority.refundAll(
                    orderID: order.id, note: "refund of \(reseller.serviceID)", connection: connection, at: now)
                var updated = details
                updated.refunded = true
                try connection.setResellerDetails(orderID: order.id, try self.encode(updated))
                try registration.events.emit(.refunded, order: order, connection: connection, at: now)
            }
            return .object(["service_id": .string(reseller.serviceID), "status": .string("refunded")])
        }
    }
}
