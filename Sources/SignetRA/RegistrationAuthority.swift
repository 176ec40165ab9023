import Crypto
import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation

/// The result of placing an order, as every dialect needs it to answer.
public struct PlacedOrder: Sendable {
    public let order: Order
    public let certificate: CertificateRecord
    public let requests: [ApprovalRequest]
    /// Set when the order created its organization.
    public let createdOrganizationID: Int?
    /// `true` when an idempotency key matched an earlier order and nothing new was stored or charged.
    public let isRepeat: Bool
}

/// The registration authority: the workflow from order to certificate.
///
/// It checks a command against the core rules and the CA's CSR rules, stores and charges it in
/// one transaction, and issues through the CA once approval and validation allow. It knows
/// nothing of HTTP or SQL.
public struct RegistrationAuthority: Sendable {
    public let store: SignetStore
    public let authority: CertificateAuthority
    /// Where the certificates point for CRLs, OCSP and issuer certificates.
    public let endpoints: PKIEndpoints
    public let clock: any WallClock
    public let policy: ValidityPolicy
    public let dcvMode: DCVMode
    public let revocations: RevocationPublisher
    public let domainControl: DomainControl
    public var events: OrderEvents { domainControl.events }

    public init(
        store: SignetStore, authority: CertificateAuthority, endpoints: PKIEndpoints, clock: any WallClock,
        policy: ValidityPolicy = .cabForum, dcvMode: DCVMode, revocations: RevocationPublisher, domainControl: DomainControl
    ) {
        self.store = store
        self.authority = authority
        self.endpoints = endpoints
        self.clock = clock
        self.policy = policy
        self.dcvMode = dcvMode
        self.revocations = revocations
        self.domainControl = domainControl
    }

    /// Places an order; returns the earlier order when `alternativeOrderID` was used before for the same request.
    ///
    /// - Parameter fingerprint: identifies the request body, so that a reused key with a different body is refused.
    ///   - within: runs in the order's transaction once it is stored (not for a repeat), so that a
    ///     dialect's own records commit together with the order.
    public func placeOrder(
        _ submission: OrderSubmission, by principal: Principal, fingerprint: String, reseller: ResellerRecord? = nil
    ) async throws -> PlacedOrder {
        let now = clock.now()
        let plan = try OrderRules.plan(submission, now: now, policy: policy)
        try Self.checkMaySkipApproval(submission.skipApproval, principal)
        let csr: InspectedCSR
        do {
            csr = try CSRInspector.inspect(submission.csr ?? "")
        } catch {
            throw WorkflowError.invalidCSR(error)
        }
        let containerID = submission.containerID ?? principal.user.containerID
        let (newOrganization, existingOrganization) = try await checkReferences(
            submission, containerID: containerID, principal: principal)
        if let key = submission.alternativeOrderID,
            let earlier = try await store.read({ try $0.order(alternativeOrderID: key, containerID: containerID) })
        {
            return try await store.read {
                try self.repeatOf(earlier.order, storedFingerprint: earlier.fingerprint, fingerprint: fingerprint, connection: $0)
            }
        }

        let hash = authority.signatureHash(for: plan.signatureHash, family: plan.product.family)
        try preflight(
            product: plan.product, names: plan.names, csr: csr, organization: newOrganization ?? existingOrganization?.details,
            organizationUnits: plan.organizationUnits, hash: hash, profileOption: plan.profileOption,
            orderValidTill: plan.orderValidTill, certificateValidTill: plan.certificateValidTill, now: now)
        let skipApproval = submission.skipApproval
        let dcvMethod = submission.options.dcvMethod ?? "email"
        let validationNames = DomainControl.validationNames(of: plan.names, isTLS: plan.product.isTLS)
        var (caaCleared, caaMessages) = (dcvMode == .alwaysValid, [String: String]())
        if skipApproval && dcvMode == .checked {
            var existingOrganization: Int?
            if case .existing(let id) = submission.organization { existingOrganization = id }
            (caaCleared, caaMessages) = try await precheck(
                names: plan.names, product: plan.product, containerID: containerID, organizationID: existingOrganization,
                now: now)
        }
        let (clearedForIssuance, caaFindings) = (caaCleared, caaMessages)
        let placed = try await retryingUniqueViolations {
            try await store.write { connection in
                if let key = submission.alternativeOrderID,
                    let earlier = try connection.order(alternativeOrderID: key, containerID: containerID)
                {
                    return try repeatOf(
                        earlier.order, storedFingerprint: earlier.fingerprint, fingerprint: fingerprint,
                        connection: connection)
                }
                // Locked, so that of two renewals of one order only one commits.
                let renewed = try orderToRenew(for: submission, by: principal, connection: connection)
                // A renewal is credited what is left of the order it renews.
                let orderEnd = plan.orderValidTill.addingTimeInterval(renewed.map { RenewalRules.credit(renewing: $0, now: now) } ?? 0)
                var organizationID: Int?
                var createdOrganizationID: Int?
                switch submission.organization {
                case .existing(let id)?: organizationID = id
                case nil: organizationID = nil
                case .new?:
                    let created = try connection.createOrganization(newOrganization!, containerID: containerID, at: now)
                    organizationID = created.id
                    createdOrganizationID = created.id
                }
                var order = Order(
                    id: 0, containerID: containerID, userID: principal.user.id, productNameID: plan.product.nameID,
                    status: OrderLifecycle.opened(approved: skipApproval), organizationID: organizationID, names: plan.names,
                    signatureHash: hash, serverPlatformID: submission.serverPlatformID, profileOption: plan.profileOption,
                    organizationUnits: plan.organizationUnits, orderValidFrom: plan.orderValidFrom,
                    orderValidTill: orderEnd, certificateValidTill: plan.certificateValidTill,
                    billedYears: plan.billedYears, price: plan.price, alternativeOrderID: submission.alternativeOrderID,
                    contacts: submission.contacts, options: submission.options, certificateID: 0, dateCreated: now,
                    dateUpdated: now, origin: submission.origin)
                let (dcv, waiting) = try domainControl.prepare(
                    existing: nil, names: validationNames, product: plan.product, method: dcvMethod,
                    methodsByName: submission.dcvMethodsByName, containerID: containerID, organizationID: organizationID,
                    connection: connection, at: now)
                order.dcv = dcv
                if !caaFindings.isEmpty {
                    order.dcv = order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
                    order.dcv?.caaMessages = caaFindings
                }
                var certificate = CertificateRecord(
                    id: 0, orderID: 0, role: .primary, status: CertificateLifecycle.requested(approved: skipApproval),
                    names: plan.names, csr: csr.pem,
                    key: csr.key, signatureHash: hash, serverPlatformID: submission.serverPlatformID,
                    userID: principal.user.id, dateCreated: now, issuance: nil)
                let firstCheck = order.dcv?.awaitsChecks == true ? now : nil
                order.id = try connection.insertOrder(order, fingerprint: fingerprint, dcvNextCheck: firstCheck)
                if let renewed { try connection.markOrderRenewed(orderID: renewed.id, by: order.id, at: now) }
                for name in waiting where (submission.dcvMethodsByName[name] ?? dcvMethod) == "email" {
                    try domainControl.queueEmails(
                        for: [name], recipients: submission.approverEmails[name].map { [$0] }, orderID: order.id, domainID: nil,
                        containerID: containerID, connection: connection, at: now)
                }
                try reseller?.write(for: order, cost: plan.price, connection: connection, at: now)
                // Paid for before anything is signed: an order refused for lack of funds has
                // nothing signed for it.
                try Self.charge(
                    plan.price, orderID: order.id, note: "order \(order.id) \(plan.product.nameID)", connection: connection,
                    at: now)
                // Signed before the certificate is stored, so that it is written once, as issued.
                var effects: [OrderLifecycle.Effect] = []
                if skipApproval,
                    let issued = try signIfReady(
                        order, certificate, csr: csr, caaCleared: clearedForIssuance, organization: existingOrganization,
                        connection: connection, now: now)
                {
                    certificate = issued
                    (order.status, effects) = try OrderLifecycle.transition(from: order.status, .issue(.primary))
                }
                certificate.orderID = order.id
                certificate.id = try connection.insertCertificate(certificate)
                order.certificateID = certificate.id
                try connection.setOrderCertificate(
                    orderID: order.id, certificateID: certificate.id, status: order.status, at: now)
                var request = ApprovalRequest(
                    id: 0, orderID: order.id, certificateID: certificate.id, type: .newRequest,
                    status: skipApproval ? .approved : .pending, requesterID: principal.user.id,
                    processorID: skipApproval ? principal.user.id : nil, comments: submission.options.comments,
                    processorComment: nil, date: now, dateProcessed: skipApproval ? now : nil)
                request.id = try connection.insertRequest(request, containerID: containerID)
                try perform(effects, for: order, processorID: nil, comment: "", connection: connection, now: now)
                return PlacedOrder(
                    order: order, certificate: certificate, requests: [request], createdOrganizationID: createdOrganizationID,
                    isRepeat: false)
            }
        }
        if placed.order.dcv?.names.isEmpty == false {
            let control = domainControl
            Task { await control.deliverPendingEmails() }
        }
        return placed
    }

    /// An earlier order under the same idempotency key: returned as it stands now, or refused
    /// when the new request differs from the one that created it.
    private func repeatOf(
        _ order: Order, storedFingerprint: String?, fingerprint: String, connection: StoreSession<some SessionAccess>
    ) throws -> PlacedOrder {
        guard storedFingerprint == fingerprint else {
            throw OrderRuleError.idempotencyKeyReused(order.alternativeOrderID ?? "")
        }
        guard let certificate = try connection.certificate(id: order.certificateID) else {
            throw StoreError.inconsistent("order \(order.id) has no certificate")
        }
        let requests = try connection.requests(orderIDs: [order.id])[order.id] ?? []
        return PlacedOrder(order: order, certificate: certificate, requests: requests, createdOrganizationID: nil, isRepeat: true)
    }

    /// Checks that the organization, container and contact users an order names exist and are the caller's.
    /// Returns the checked details of a new organization, or the existing organization.
    private func checkReferences(_ submission: OrderSubmission, containerID: Int, principal: Principal) async throws
        -> (new: OrganizationDetails?, existing: Organization?)
    {
        var newOrganization: OrganizationDetails?
        if case .new(let details) = submission.organization {
            newOrganization = try details.validated(fieldPrefix: "organization.")
        }
        for contact in submission.contacts where contact.userID == nil {
            guard let details = contact.details, !details.firstName.isEmpty, !details.lastName.isEmpty else {
                throw OrderRuleError.missingField("organization.contacts.first_name")
            }
            guard EmailAddress(details.email) != nil else { throw OrderRuleError.invalidEmail(details.email) }
            try SubjectText.check(details.firstName, field: "organization.contacts.first_name")
            try SubjectText.check(details.lastName, field: "organization.contacts.last_name")
        }
        let existing = try await store.read { connection -> Organization? in
            guard try connection.container(id: containerID) != nil, principal.canSee(containerID: containerID) else {
                throw OrderRuleError.unknownContainer(containerID)
            }
            var existing: Organization?
            if case .existing(let id) = submission.organization {
                guard let organization = try connection.organization(id: id),
                    principal.canSee(containerID: organization.containerID)
                else { throw OrderRuleError.unknownOrganization(id) }
                existing = organization
            }
            // A contact names a user the caller can see, or nobody: never another team's user.
            for userID in submission.contacts.compactMap(\.userID) {
                guard let user = try connection.user(id: userID), principal.canSee(containerID: user.containerID) else {
                    throw OrderRuleError.invalidValue(
                        field: "organization.contacts.user_id", reason: "no user \(userID) is visible to this API key")
                }
            }
            return existing
        }
        return (newOrganization, existing)
    }

    /// Builds and lints the certificate an order or reissue will get, as if it were signed now: what
    /// the request gets wrong (a subject its organization cannot fill, a name the profile refuses) is
    /// a 400 before anything is stored, charged or signed.
    public func preflight(
        product: Product, names: CertificateNames, csr: InspectedCSR, organization: OrganizationDetails?,
        organizationUnits: [String], hash: SignatureHash, profileOption: TLSProfileOption?, orderValidTill: Date,
        certificateValidTill: Date?, now: Date
    ) throws {
        if let organization { try organization.checkSubject(for: product.validationLevel, fieldPrefix: "organization.") }
        _ = try authority.prepare(
            leafRequest(
                product: product, names: names, csr: csr, organization: organization, organizationUnits: organizationUnits,
                hash: hash, profileOption: profileOption, orderValidTill: orderValidTill,
                certificateValidTill: certificateValidTill, now: now),
            now: now)
    }

    /// Refuses `skip_approval` from a caller who may not skip approval (a user, unless the account allows it):
    /// nothing is stored or charged, and the client learns how to place the order instead.
    public static func checkMaySkipApproval(_ skipApproval: Bool, _ principal: Principal) throws {
        guard skipApproval, !principal.maySkipApproval else { return }
        throw WorkflowError.forbidden(
            "a key with the user role may not skip approval on this account; leave skip_approval out and the request waits for an administrator or manager")
    }

    /// Charges `price` in the caller's transaction (nothing when it is zero), or refuses with what
    /// the account has available (CertCentral `insufficient_funds`, reseller INSUFFICIENT_BALANCE).
    public static func charge(_ price: Money, orderID: Int, note: String, connection: WriteSession, at now: Date) throws {
        guard price.cents > 0 else { return }
        guard try connection.debit(price, kind: .orderCharge, orderID: orderID, note: note, at: now) else {
            throw OrderRuleError.insufficientFunds(needed: price, available: try connection.balance().availableFunds)
        }
    }

    /// Runs `body` again when a uniqueness rule fired: a serial number collision (new serial on
    /// retry) or a concurrent order with the same idempotency key (found on retry).
    public func retryingUniqueViolations<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch StoreError.uniqueViolation(let detail) {
                attempt += 1
                if attempt >= 3 { throw StoreError.uniqueViolation(detail) }
            }
        }
    }
}

extension RegistrationAuthority {
    /// A stable fingerprint of a request: SHA-256 over its canonical form.
    public static func fingerprint(_ canonical: [UInt8]) -> String {
        SHA256.hash(data: canonical).map { String(format: "%02x", $0) }.joined()
    }
}
