import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// What a revocation names: one certificate (by id or serial number) or every certificate of an order.
public enum RevocationTarget: Sendable, Equatable {
    case certificate(String)
    case order(Int)
}

/// How a revocation call ended.
public enum RevocationOutcome: Sendable {
    /// Revoked at once (an administrator's key with `skip_approval`).
    case revoked
    /// A revoke request waits for approval.
    case requested(ApprovalRequest)
}

extension RegistrationAuthority {
    /// Replaces the order's certificate with a new one (seed 000). Free of charge, except for
    /// `additionalNames` beyond those paid for (the reseller's rule), priced by the product; the
    /// dialect's attachment is written in the same transaction.
    public func reissue(
        orderID: Int, _ submission: OrderSubmission, by principal: Principal, additionalNames: Int = 0,
        attachment: (any OrderAttachment)? = nil
    ) async throws -> PlacedOrder {
        try await addCertificate(
            role: .reissue, orderID: orderID, submission, by: principal, additionalNames: additionalNames, attachment: attachment)
    }

    /// Adds another certificate with the order's names (seed 002). Free of charge; never revokes the original.
    public func duplicate(orderID: Int, _ submission: OrderSubmission, by principal: Principal) async throws -> PlacedOrder {
        try await addCertificate(role: .duplicate, orderID: orderID, submission, by: principal)
    }

    private func addCertificate(
        role: CertificateRole, orderID: Int, _ submission: OrderSubmission, by principal: Principal,
        additionalNames: Int = 0, attachment: (any OrderAttachment)? = nil
    ) async throws -> PlacedOrder {
        try requireSigner()
        let now = clock.now()
        let submission = Self.applyingApprovalPreferences(submission, principal)
        try Self.checkMaySkipApproval(submission.skipApproval, principal)
        let action = role == .reissue ? "reissued" : "duplicated"
        let order = try await visibleOrder(orderID, principal: principal)
        try Self.checkTakesCertificates(order, action: action, now: now)
        guard let product = order.product else { throw WorkflowError.orderNotFound(String(orderID)) }
        var checked = submission
        checked.productNameID = product.nameID
        checked.origin = order.origin
        // The subscriber stays who the order named, unless the request names someone.
        if checked.person == nil { checked.person = order.names.person }
        // A duplicate repeats the order's names: a request that names none (certmesh sends only
        // the CSR and hash) gets them all.
        if role == .duplicate, checked.commonName?.trimmingWhitespace().isEmpty ?? true, checked.dnsNames.isEmpty,
            checked.emails.isEmpty
        {
            checked.commonName = order.names.commonName
            checked.dnsNames = order.names.dnsNames
            checked.emails = order.names.emails
        }
        let namePolicy = principal.namePolicy(of: order.containerID)
        let (names, requestedHash) = try OrderRules.checkedCertificate(checked, product: product, names: namePolicy)
        if role == .duplicate {
            let allowed = Set(order.names.subjectAlternativeNames(isTLS: product.isTLS) + order.names.emails)
            let asked = names.subjectAlternativeNames(isTLS: product.isTLS) + names.emails
            if let foreign = asked.first(where: { !allowed.contains($0) }) {
                throw OrderRuleError.invalidValue(
                    field: product.isTLS ? "certificate.dns_names" : "certificate.emails",
                    reason: "a duplicate carries only the order's names; '\(foreign)' is not one of them")
            }
        }
        let csr: InspectedCSR
        do {
            csr = try CSRInspector.inspect(submission.csr ?? "")
        } catch {
            throw WorkflowError.invalidCSR(error)
        }
        let hash = authority.signatureHash(for: requestedHash, family: product.family)
        let organization = try await store.read { connection in
            try order.organizationID.map { try connection.organization(id: $0) } ?? nil
        }
        try preflight(
            product: product, names: names, csr: csr, organization: organization?.details,
            organizationUnits: order.organizationUnits, hash: hash, profileOption: order.profileOption,
            orderValidTill: order.orderValidTill, certificateValidTill: nil, containerPolicy: namePolicy, now: now)
        let skipApproval = submission.skipApproval
        var caaCleared = dcvMode == .alwaysValid
        // A DV reissue validates its names again (DigiCert's DV rules): it starts from no validation.
        let revalidates = role == .reissue && order.dcvScope == .order
        let startingDCV = try await preauthorizedState(
            names: names, product: product, containerID: order.containerID, policy: namePolicy,
            existing: revalidates ? nil : order.dcv, now: now)
        if skipApproval && dcvMode == .checked {
            caaCleared = try await precheck(
                names: names, product: product, scope: order.dcvScope, orderDCV: startingDCV,
                containerID: order.containerID,
                organizationID: order.organizationID, now: now
            ).cleared
        }
        let cleared = caaCleared
        let (placed, pending) = try await retryingUniqueViolations {
            try await store.write { connection -> (PlacedOrder, PendingSignature?) in
                guard var order = try connection.order(id: orderID, forUpdate: true) else {
                    throw WorkflowError.orderNotFound(String(orderID))
                }
                try Self.checkTakesCertificates(order, action: action, now: now)
                var certificate = CertificateRecord(
                    id: 0, orderID: order.id, role: role, status: CertificateLifecycle.requested(approved: skipApproval),
                    names: names,
                    csr: csr.pem, key: csr.key, signatureHash: hash,
                    serverPlatformID: submission.serverPlatformID ?? order.serverPlatformID, userID: principal.user.id,
                    dateCreated: now, issuance: nil)
                certificate.id = try connection.insertCertificate(certificate)
                var request = ApprovalRequest(
                    id: 0, orderID: order.id, certificateID: certificate.id, type: role == .reissue ? .reissue : .duplicate,
                    status: skipApproval ? .approved : .pending, requesterID: principal.user.id,
                    processorID: skipApproval ? principal.user.id : nil, comments: submission.options.comments,
                    processorComment: nil, date: now, dateProcessed: skipApproval ? now : nil)
                request.id = try connection.insertRequest(request, containerID: order.containerID)
                if role == .reissue { try self.move(&order, .requestReissue, connection: connection, now: now) }
                // New names need validation like a new order's.
                let method = order.options.dcvMethod ?? "email"
                let (dcv, waiting) = try self.domainControl.prepare(
                    existing: startingDCV, names: DomainControl.validationNames(of: names, isTLS: product.isTLS),
                    product: product, scope: order.dcvScope, method: method, methodsByName: submission.dcvMethodsByName,
                    containerID: order.containerID, organizationID: order.organizationID, connection: connection, at: now)
                // Saved when names wait, or when pre-authorizations validated some (their record).
                if let dcv, dcv != order.dcv {
                    order.dcv = dcv
                    try connection.setOrderDCV(orderID: order.id, dcv, nextCheck: dcv.awaitsChecks ? now : nil)
                    for name in waiting where (submission.dcvMethodsByName[name] ?? method) == "email" {
                        try self.domainControl.queueEmails(
                            for: [name], recipients: submission.approverEmails[name].map { [$0] }, orderID: order.id,
                            domainID: nil, containerID: order.containerID, connection: connection, at: now)
                    }
                }
                if let attachment {
                    guard let cost = product.priceOfAdditionalNames(additionalNames, years: order.billedYears) else {
                        throw OrderRuleError.tooManyNames(limit: product.maximumNames)
                    }
                    try attachment.write(for: order, cost: cost, connection: connection, at: now)
                    try Self.charge(
                        cost, orderID: order.id, note: "reissue of order \(order.id)", connection: connection, at: now)
                }
                let pending =
                    skipApproval
                    ? try self.reserveIfReady(order, certificate, csr: csr, caaCleared: cleared, connection: connection, now: now)
                    : nil
                return (
                    PlacedOrder(
                        order: order, certificate: certificate, requests: [request], createdOrganizationID: nil, isRepeat: false),
                    pending
                )
            }
        }
        let completed = await completing(placed, pending)
        var shown = completed.order
        shown.options.skipApproval = skipApproval
        return PlacedOrder(
            order: shown, certificate: completed.certificate, requests: completed.requests, createdOrganizationID: nil,
            isRepeat: false)
    }

    /// Only an issued order whose term has not ended takes reissues and duplicates.
    public static func checkTakesCertificates(_ order: Order, action: String, now: Date) throws {
        guard order.status == .issued, order.orderValidTill > now else {
            let status = order.status == .issued ? .expired : order.status
            throw WorkflowError.invalidOrderStatus(id: order.id, status: status, action: action)
        }
    }

    private func visibleOrder(_ orderID: Int, principal: Principal) async throws -> Order {
        guard let order = try await store.read({ try $0.order(id: orderID) }),
            principal.canSee(containerID: order.containerID)
        else { throw WorkflowError.orderNotFound(String(orderID)) }
        return order
    }

    /// Revokes at once (an administrator with `skip_approval`) or files a revoke request for approval.
    public func revoke(
        _ target: RevocationTarget, reason: RevocationReason, comment: String?, skipApproval: Bool, by principal: Principal
    ) async throws -> RevocationOutcome {
        let now = clock.now()
        let (order, certificateID) = try await store.read { connection -> (Order, Int?) in
            switch target {
            case .order(let id):
                guard let order = try connection.order(id: id), principal.canSee(containerID: order.containerID) else {
                    throw WorkflowError.orderNotFound(String(id))
                }
                switch order.status {
                case .issued: return (order, nil)
                case .revoked: throw WorkflowError.orderAlreadyRevoked(id)
                case .reissuePending: throw WorkflowError.reissuePending(orderID: id)
                default: throw WorkflowError.invalidOrderStatus(id: id, status: order.status, action: "revoked")
                }
            case .certificate(let reference):
                guard let certificate = try connection.certificate(matching: reference),
                    let order = try connection.order(id: certificate.orderID),
                    principal.canSee(containerID: order.containerID)
                else { throw WorkflowError.certificateNotFound(reference) }
                switch certificate.status {
                case .issued: break
                case .revoked: throw WorkflowError.certificateAlreadyRevoked(certificate.id)
                default: throw WorkflowError.certificateNotIssued(id: certificate.id, status: certificate.status)
                }
                if order.status == .reissuePending && certificate.role != .duplicate {
                    throw WorkflowError.reissuePending(orderID: order.id)
                }
                return (order, certificate.id)
            }
        }
        let immediate = skipApproval && principal.role == .administrator
        let outcome = try await store.write { connection -> RevocationOutcome in
            // The order's lock orders this revocation after any concurrent change of the same order.
            guard let locked = try connection.order(id: order.id, forUpdate: true) else {
                throw WorkflowError.orderNotFound(String(order.id))
            }
            if immediate {
                try self.revokeNow(
                    order: locked, certificateID: certificateID, reason: reason, connection: connection, now: now,
                    processorID: principal.user.id)
                return .revoked
            }
            var request = ApprovalRequest(
                id: 0, orderID: order.id, certificateID: certificateID, type: .revoke, status: .pending,
                requesterID: principal.user.id, processorID: nil, comments: comment, processorComment: nil, date: now,
                dateProcessed: nil, revocationReason: reason)
            request.id = try connection.insertRequest(request, containerID: order.containerID)
            return .requested(request)
        }
        return outcome
    }

    /// Revokes one certificate of `order`, or (with no certificate) the whole order: every issued
    /// certificate, duplicates and reissues included; certificates not yet issued are cancelled.
    public func revokeNow(
        order: Order, certificateID: Int?, reason: RevocationReason, connection: WriteSession, now: Date,
        processorID: Int? = nil
    ) throws {
        if let certificateID {
            guard let certificate = try connection.certificate(id: certificateID), certificate.status == .issued
            else { return }
            try connection.revokeCertificate(id: certificateID, Revocation(date: now, reason: reason))
            try events.emit(.revoked, order: order, connection: connection, at: now)
        } else {
            // Revoking twice (two approvers, a retried refund) changes nothing the second time.
            guard order.status != .revoked else { return }
            var order = order
            try move(
                &order, .revoke(reason), processorID: processorID, comment: "the order was revoked", connection: connection,
                now: now)
        }
    }
}

extension RegistrationAuthority {
    /// The CA revokes order `orderID`'s current certificate at once, without a request to approve
    /// (the test double's CA revocation); `false` when the order has no issued certificate.
    public func revokeAtOnce(orderID: Int, reason: RevocationReason, processorID: Int) async throws -> Bool {
        let now = clock.now()
        return try await store.write { connection -> Bool in
            guard let order = try connection.order(id: orderID, forUpdate: true), let certificateID = order.certificateID,
                try connection.certificate(id: certificateID)?.status == .issued
            else { return false }
            try self.revokeNow(
                order: order, certificateID: certificateID, reason: reason, connection: connection, now: now,
                processorID: processorID)
            return true
        }
    }
}
