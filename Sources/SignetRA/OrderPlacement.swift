import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation

/// An order opened without its CSR (ACME's newOrder, a console's draft): stored and charged, its
/// names' authorizations created, its approval request filed. ``RegistrationAuthority/finalize(orderID:csr:by:)``
/// gives it its certificate.
public struct OpenedOrder: Sendable {
    public let order: Order
    public let requests: [ApprovalRequest]
    public let createdOrganizationID: Int?
    /// `true` when an idempotency key matched an earlier order and nothing new was stored or charged.
    public let isRepeat: Bool
}

/// What opening an order decided before its transaction: the plan, the checked references and
/// the CAA verdict, so that the transaction itself only stores.
struct OrderOpening: Sendable {
    let submission: OrderSubmission
    let plan: OrderPlan
    let principal: Principal
    let fingerprint: String
    let containerID: Int
    let newOrganization: OrganizationDetails?
    let existingOrganization: Organization?
    let hash: SignatureHash
    /// The inspected CSR, when it came with the order, and the leaf built and linted from it.
    let csr: InspectedCSR?
    let linted: LintedLeaf?
    let caaCleared: Bool
    let caaFindings: [String: String]
    /// The order's DCV state before any check: the names its container's pre-authorizations cover.
    let preauthorized: OrderDCV?
    let now: Date
}

/// The steps every front end composes: open an order (identifiers, product, who), let its names
/// be authorized, finalize it with a CSR, issue. CertCentral and the reseller API send the CSR with
/// the order, so ``placeOrder(_:by:fingerprint:attachment:)`` opens and finalizes in one transaction.
extension RegistrationAuthority {
    /// Places an order with its CSR; returns the earlier order when `alternativeOrderID` was used
    /// before for the same request.
    ///
    /// - Parameters:
    ///   - fingerprint: identifies the request body, so that a reused key with a different body is
    ///     refused; unused (and need not be computed) when the submission has no idempotency key.
    ///   - attachment: what the dialect keeps beside the order, written in the order's transaction.
    public func placeOrder(
        _ submission: OrderSubmission, by principal: Principal, fingerprint: String, attachment: (any OrderAttachment)? = nil
    ) async throws -> PlacedOrder {
        guard let opening = try await prepareOpening(submission, by: principal, fingerprint: fingerprint) else {
            return try Self.placed(try await earlier(submission, by: principal, fingerprint: fingerprint))
        }
        try requireSigner()
        guard let csr = opening.csr else { throw WorkflowError.invalidCSR(.cannotParse("no CSR")) }
        let (placed, pending) = try await retryingUniqueViolations {
            try await store.write { connection -> (PlacedOrder, PendingSignature?) in
                if let repeated = try self.repeatOf(
                    submission, opening.containerID, fingerprint: fingerprint, connection: connection)
                {
                    return (try Self.placed(repeated), nil)
                }
                var (order, request, createdOrganizationID) = try self.openOrder(opening, connection: connection)
                try attachment?.write(for: order, cost: opening.plan.price, connection: connection, at: opening.now)
                let (certificate, pending) = try self.finalizeOrder(
                    &order, request: &request, csr: csr, hash: opening.hash, caaCleared: opening.caaCleared,
                    organization: opening.existingOrganization, linted: opening.linted, connection: connection, now: opening.now)
                let placed = PlacedOrder(
                    order: order, certificate: certificate, requests: [request], createdOrganizationID: createdOrganizationID,
                    isRepeat: false)
                return (placed, pending)
            }
        }
        deliverEmails(of: placed.order)
        if !placed.isRepeat { SignetMetrics.orderPlaced(placed.order) }
        return await completing(placed, pending)
    }

    /// Opens an order whose CSR comes later (ACME). The plan, references, charge and DCV are as
    /// for any order; the certificate request waits for ``finalize(orderID:csr:by:)``.
    public func open(
        _ submission: OrderSubmission, by principal: Principal, fingerprint: String,
        attachment: (any OrderAttachment)? = nil
    ) async throws -> OpenedOrder {
        var withoutCSR = submission
        withoutCSR.csr = nil
        withoutCSR.csrAtFinalize = true
        let submission = withoutCSR
        guard let opening = try await prepareOpening(submission, by: principal, fingerprint: fingerprint) else {
            let earlier = try await earlier(submission, by: principal, fingerprint: fingerprint)
            return OpenedOrder(order: earlier.order, requests: earlier.requests, createdOrganizationID: nil, isRepeat: true)
        }
        let opened = try await retryingUniqueViolations {
            try await store.write { connection -> OpenedOrder in
                if let repeated = try self.repeatOf(
                    submission, opening.containerID, fingerprint: fingerprint, connection: connection)
                {
                    return OpenedOrder(
                        order: repeated.order, requests: repeated.requests, createdOrganizationID: nil, isRepeat: true)
                }
                var (order, request, createdOrganizationID) = try self.openOrder(opening, connection: connection)
                request.id = try connection.insertRequest(request, containerID: order.containerID)
                try attachment?.write(for: order, cost: opening.plan.price, connection: connection, at: opening.now)
                return OpenedOrder(
                    order: order, requests: [request], createdOrganizationID: createdOrganizationID, isRepeat: false)
            }
        }
        deliverEmails(of: opened.order)
        return opened
    }

    /// Refuses new issuance while a CA key's token does not answer (503 in every dialect): nothing
    /// is charged or recorded that could not be signed; orders already accepted wait and are
    /// signed by the background pass when the token is back.
    func requireSigner() throws {
        if let key = authority.unavailableSigner { throw WorkflowError.signerUnavailable(key) }
    }

    /// Checks a submission and everything it refers to before any transaction; `nil` when an
    /// idempotency key names an earlier order (the caller answers with it).
    private func prepareOpening(
        _ submission: OrderSubmission, by principal: Principal, fingerprint: String
    ) async throws -> OrderOpening? {
        let submission = Self.applyingApprovalPreferences(submission, principal)
        let now = clock.now()
        let containerID = submission.containerID ?? principal.user.containerID
        let namePolicy = principal.namePolicy(of: containerID)
        let plan = try OrderRules.plan(submission, now: now, policy: policy, names: namePolicy)
        try Self.checkMaySkipApproval(submission.skipApproval, principal)
        let csr = submission.csrAtFinalize ? nil : try Self.inspect(submission.csr)
        let (newOrganization, existingOrganization) = try await checkReferences(
            submission, containerID: containerID, principal: principal)
        if let key = submission.alternativeOrderID,
            try await store.read({ try $0.order(alternativeOrderID: key, containerID: containerID) }) != nil
        {
            return nil
        }
        let hash = authority.signatureHash(for: plan.signatureHash, family: plan.product.family)
        var linted: LintedLeaf?
        if let csr {
            linted = try preflight(
                product: plan.product, names: plan.names, csr: csr,
                organization: newOrganization ?? existingOrganization?.details,
                organizationUnits: plan.organizationUnits, hash: hash, profileOption: plan.profileOption,
                orderValidTill: plan.orderValidTill, certificateValidTill: plan.certificateValidTill,
                containerPolicy: namePolicy, now: now)
        }
        let preauthorized = try await preauthorizedState(
            names: plan.names, product: plan.product, containerID: containerID, policy: namePolicy, existing: nil, now: now)
        var (caaCleared, caaFindings) = (dcvMode == .alwaysValid, [String: String]())
        if submission.skipApproval && dcvMode == .checked {
            (caaCleared, caaFindings) = try await precheck(
                names: plan.names, product: plan.product, scope: DCVScope(product: plan.product, origin: submission.origin),
                orderDCV: preauthorized, containerID: containerID,
                organizationID: existingOrganization?.id, now: now)
        }
        return OrderOpening(
            submission: submission, plan: plan, principal: principal, fingerprint: fingerprint, containerID: containerID,
            newOrganization: newOrganization, existingOrganization: existingOrganization, hash: hash, csr: csr, linted: linted,
            caaCleared: caaCleared, caaFindings: caaFindings, preauthorized: preauthorized, now: now)
    }

    /// The DCV state that a private container's pre-authorizations give `names` (read only for a
    /// private container: a public one has none), on top of `existing`.
    func preauthorizedState(
        names: CertificateNames, product: Product, containerID: Int, policy: NamePolicy, existing: OrderDCV?, now: Date
    ) async throws -> OrderDCV? {
        guard policy.isPrivate, dcvMode == .checked else { return existing }
        let preauthorizations = try await store.read { try $0.preauthorizations(containerID: containerID) }
        return OrderDCV.preauthorizing(
            DomainControl.validationNames(of: names, isTLS: product.isTLS), by: preauthorizations, in: existing, at: now,
            randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
    }

    /// An earlier order as the answer to a repeated placement, which always carries a certificate.
    private static func placed(
        _ repeated: (order: Order, certificate: CertificateRecord?, requests: [ApprovalRequest])
    ) throws
        -> PlacedOrder
    {
        guard let certificate = repeated.certificate else {
            throw WorkflowError.invalidOrderStatus(
                id: repeated.order.id, status: repeated.order.status, action: "placed again: it waits for its CSR")
        }
        return PlacedOrder(
            order: repeated.order, certificate: certificate, requests: repeated.requests, createdOrganizationID: nil,
            isRepeat: true)
    }

    /// The earlier order under the submission's idempotency key (after `prepareOpening` found one).
    private func earlier(
        _ submission: OrderSubmission, by principal: Principal, fingerprint: String
    ) async throws
        -> (order: Order, certificate: CertificateRecord?, requests: [ApprovalRequest])
    {
        let containerID = submission.containerID ?? principal.user.containerID
        return try await store.read { connection in
            guard let repeated = try self.repeatOf(submission, containerID, fingerprint: fingerprint, connection: connection)
            else {
                throw StoreError.inconsistent("the order under \(submission.alternativeOrderID ?? "") disappeared")
            }
            return repeated
        }
    }

    /// Stores a new order in the caller's transaction: the renewal link, a new organization, the
    /// order with its authorizations, DCV e-mails and the charge. The approval request is returned
    /// unsaved: filed at once by `open`, or with its certificate by `finalizeOrder`.
    func openOrder(_ opening: OrderOpening, connection: WriteSession) throws -> (Order, ApprovalRequest, Int?) {
        let (submission, plan, now) = (opening.submission, opening.plan, opening.now)
        // Locked, so that of two renewals of one order only one commits.
        let renewed = try orderToRenew(for: submission, by: opening.principal, connection: connection)
        // A renewal is credited what is left of the order it renews.
        let orderEnd = plan.orderValidTill.addingTimeInterval(renewed.map { RenewalRules.credit(renewing: $0, now: now) } ?? 0)
        var organizationID = opening.existingOrganization?.id
        var createdOrganizationID: Int?
        if let details = opening.newOrganization {
            let created = try connection.createOrganization(details, containerID: opening.containerID, at: now)
            organizationID = created.id
            createdOrganizationID = created.id
        }
        var order = Order(
            id: 0, containerID: opening.containerID, userID: opening.principal.user.id, productNameID: plan.product.nameID,
            status: OrderLifecycle.opened(approved: submission.skipApproval), organizationID: organizationID, names: plan.names,
            signatureHash: opening.hash, serverPlatformID: submission.serverPlatformID, profileOption: plan.profileOption,
            organizationUnits: plan.organizationUnits, orderValidFrom: plan.orderValidFrom, orderValidTill: orderEnd,
            certificateValidTill: plan.certificateValidTill, billedYears: plan.billedYears, price: plan.price,
            alternativeOrderID: submission.alternativeOrderID, contacts: submission.contacts, options: submission.options,
            certificateID: nil, dateCreated: now, dateUpdated: now, origin: submission.origin)
        let dcvMethod = submission.options.dcvMethod ?? "email"
        let (dcv, waiting) = try domainControl.prepare(
            existing: opening.preauthorized, names: DomainControl.validationNames(of: plan.names, isTLS: plan.product.isTLS),
            product: plan.product,
            scope: DCVScope(product: plan.product, origin: submission.origin),
            method: dcvMethod, methodsByName: submission.dcvMethodsByName, containerID: opening.containerID,
            organizationID: organizationID, connection: connection, at: now)
        order.dcv = dcv
        if !opening.caaFindings.isEmpty {
            order.dcv =
                order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
            order.dcv?.caaMessages = opening.caaFindings
        }
        // The fingerprint is kept only where an idempotency key can bring the request back.
        order.id = try connection.insertOrder(
            order, fingerprint: submission.alternativeOrderID == nil ? nil : opening.fingerprint,
            dcvNextCheck: order.dcv?.awaitsChecks == true ? now : nil)
        if let renewed { try connection.markOrderRenewed(orderID: renewed.id, by: order.id, at: now) }
        for name in waiting where (submission.dcvMethodsByName[name] ?? dcvMethod) == "email" {
            try domainControl.queueEmails(
                for: [name], recipients: submission.approverEmails[name].map { [$0] }, orderID: order.id, domainID: nil,
                containerID: opening.containerID, connection: connection, at: now)
        }
        // Paid for before anything is signed: an order refused for lack of funds has nothing signed for it.
        try Self.charge(
            plan.price, orderID: order.id, note: "order \(order.id) \(plan.product.nameID)", connection: connection, at: now)
        let skipApproval = submission.skipApproval
        let request = ApprovalRequest(
            id: 0, orderID: order.id, certificateID: nil, type: .newRequest, status: skipApproval ? .approved : .pending,
            requesterID: opening.principal.user.id, processorID: skipApproval ? opening.principal.user.id : nil,
            comments: submission.options.comments, processorComment: nil, date: now, dateProcessed: skipApproval ? now : nil)
        return (order, request, createdOrganizationID)
    }

    /// Gives an open order its certificate request in the caller's transaction, and reserves its
    /// signature at once when the order is approved and nothing blocks it (the caller completes
    /// it after the transaction commits). The approval request then names the certificate.
    func finalizeOrder(
        _ order: inout Order, request: inout ApprovalRequest, csr: InspectedCSR, hash: SignatureHash, caaCleared: Bool,
        organization: Organization?, linted: LintedLeaf? = nil, connection: WriteSession, now: Date
    ) throws -> (CertificateRecord, PendingSignature?) {
        var certificate = CertificateRecord(
            id: 0, orderID: order.id, role: .primary, status: CertificateLifecycle.requested(approved: order.status == .pending),
            names: order.names, csr: csr.pem, key: csr.key, signatureHash: hash, serverPlatformID: order.serverPlatformID,
            userID: order.userID, dateCreated: now, issuance: nil)
        certificate.id = try connection.insertCertificate(certificate)
        order.certificateID = certificate.id
        try connection.setOrderCertificate(orderID: order.id, certificateID: certificate.id, status: order.status, at: now)
        request.certificateID = certificate.id
        if request.id == 0 {
            request.id = try connection.insertRequest(request, containerID: order.containerID)
        } else {
            try connection.setRequestCertificate(requestID: request.id, certificateID: certificate.id)
        }
        // A new certificate has no reservation to look for.
        guard try isReady(order, certificate, caaCleared: caaCleared, connection: connection, now: now) else {
            return (certificate, nil)
        }
        return (
            certificate,
            try reserve(
                order, certificate, csr: csr, organization: organization, linted: linted, connection: connection, now: now)
        )
    }

    /// Signs what a transaction reserved, then answers with the order as it stands: issued, or
    /// still waiting when the signature could not be recorded now (the background pass finishes it).
    func completing(_ placed: PlacedOrder, _ pending: PendingSignature?) async -> PlacedOrder {
        guard let pending, let (order, certificate) = await completeOrLeave(pending) else { return placed }
        return PlacedOrder(
            order: order, certificate: certificate, requests: placed.requests,
            createdOrganizationID: placed.createdOrganizationID,
            isRepeat: placed.isRepeat)
    }

    /// Finalizes an open order with its CSR (ACME's finalize). A finalize repeated with the same
    /// CSR returns the order as it stands, whatever happened since; another CSR is refused.
    public func finalize(orderID: Int, csr text: String, by principal: Principal) async throws -> PlacedOrder {
        try await finalize(orderID: orderID, csr: try Self.inspect(text), by: principal)
    }

    /// ``finalize(orderID:csr:by:)`` with a CSR the caller inspected already.
    public func finalize(orderID: Int, csr: InspectedCSR, by principal: Principal) async throws -> PlacedOrder {
        guard let order = try await store.read({ try $0.order(id: orderID) }) else {
            throw WorkflowError.orderNotFound(String(orderID))
        }
        return try await finalize(order, csr: csr, by: principal)
    }

    /// ``finalize(orderID:csr:by:)`` for an order the caller has just read (ACME reads it to judge
    /// its authorizations): what is read here decides only what to check and lint, and the
    /// transaction reads the order again before it changes anything.
    public func finalize(_ order: Order, csr: InspectedCSR, by principal: Principal) async throws -> PlacedOrder {
        try requireSigner()
        let now = clock.now()
        let orderID = order.id
        guard principal.canSee(containerID: order.containerID) else { throw WorkflowError.orderNotFound(String(orderID)) }
        if order.certificateID != nil { return try await finalized(order, csr: csr) }
        guard let product = order.product, [.needsApproval, .pending].contains(order.status) else {
            throw WorkflowError.invalidOrderStatus(id: order.id, status: order.status, action: "finalized")
        }
        let organization: Organization? =
            if let organizationID = order.organizationID {
                try await store.read { try $0.organization(id: organizationID) }
            } else {
                nil
            }
        let linted = try preflight(
            product: product, names: order.names, csr: csr, organization: organization?.details,
            organizationUnits: order.organizationUnits, hash: order.signatureHash, profileOption: order.profileOption,
            orderValidTill: order.orderValidTill, certificateValidTill: order.certificateValidTill,
            containerPolicy: principal.namePolicy(of: order.containerID), now: now)
        var caaCleared = dcvMode == .alwaysValid
        if order.status == .pending && dcvMode == .checked {
            caaCleared = try await precheck(
                names: order.names, product: product, scope: order.dcvScope, orderDCV: order.dcv,
                containerID: order.containerID, organizationID: order.organizationID,
                acmeUserID: order.origin == .acme ? order.userID : nil,
                acmeAccountID: principal.user.id == order.userID ? principal.acmeAccountID : nil, now: now
            ).cleared
        }
        let cleared = caaCleared
        let outcome = try await retryingUniqueViolations {
            try await store.write { connection -> (PlacedOrder, PendingSignature?)? in
                guard var order = try connection.order(id: orderID, forUpdate: true) else {
                    throw WorkflowError.orderNotFound(String(orderID))
                }
                // A concurrent finalize won; it answers for both (below).
                guard order.certificateID == nil else { return nil }
                guard
                    var request = try connection.requests(orderIDs: [order.id])[order.id]?.first(where: { $0.type == .newRequest }
                    )
                else { throw StoreError.inconsistent("order \(order.id) has no request") }
                let (certificate, pending) = try self.finalizeOrder(
                    &order, request: &request, csr: csr, hash: order.signatureHash, caaCleared: cleared,
                    organization: organization,
                    linted: linted, connection: connection, now: now)
                let placed = PlacedOrder(
                    order: order, certificate: certificate, requests: [request], createdOrganizationID: nil, isRepeat: false)
                return (placed, pending)
            }
        }
        if let (placed, pending) = outcome { return await completing(placed, pending) }
        guard let current = try await store.read({ try $0.order(id: orderID) }) else {
            throw WorkflowError.orderNotFound(String(orderID))
        }
        return try await finalized(current, csr: csr)
    }

    /// The answer to a finalize of an order that has its certificate: the same, for the same CSR.
    private func finalized(_ order: Order, csr: InspectedCSR) async throws -> PlacedOrder {
        try await store.read { connection in
            guard let certificate = try connection.currentCertificate(of: order), certificate.csr == csr.pem else {
                throw WorkflowError.invalidOrderStatus(id: order.id, status: order.status, action: "finalized with another CSR")
            }
            let requests = try connection.requests(orderIDs: [order.id])[order.id] ?? []
            return PlacedOrder(
                order: order, certificate: certificate, requests: requests, createdOrganizationID: nil, isRepeat: true)
        }
    }

    static func inspect(_ text: String?) throws -> InspectedCSR {
        do {
            return try CSRInspector.inspect(text ?? "")
        } catch {
            throw WorkflowError.invalidCSR(error)
        }
    }

    static func inspect(der: [UInt8]) throws -> InspectedCSR {
        do {
            return try CSRInspector.inspect(der: der)
        } catch {
            throw WorkflowError.invalidCSR(error)
        }
    }

    private func deliverEmails(of order: Order) {
        guard order.dcv?.names.isEmpty == false else { return }
        let control = domainControl
        Task { await control.deliverPendingEmails() }
    }
}
