import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation

extension RegistrationAuthority {
    /// What still stands between `names` and their certificate, apart from CAA: names that no
    /// current validation within `scope` covers (`orderDCV` holds the order's own checks), and an
    /// organization not validated at the product's level.
    public func blockers(
        names: CertificateNames, product: Product, scope: DCVScope, orderDCV: OrderDCV?, containerID: Int,
        organizationID: Int?, connection: StoreSession<some SessionAccess>, at now: Date
    ) throws -> [String] {
        guard dcvMode == .checked else { return [] }
        let waiting = try domainControl.uncovered(
            DomainControl.validationNames(of: names, isTLS: product.isTLS), scope: scope, orderDCV: orderDCV,
            containerID: containerID, connection: connection, at: now)
        var blockers = waiting.map { "domain \($0) is not validated" }
        let level = product.validationLevel
        if level.needsOrganization {
            if let id = organizationID, let organization = try connection.organization(id: id) {
                if !organization.isValidated(for: level, at: now) {
                    blockers.append("organization \(id) is not validated for \(level.rawValue)")
                }
            } else {
                blockers.append("the order has no organization")
            }
        }
        return blockers
    }

    public func blockers(
        names: CertificateNames, order: Order, connection: StoreSession<some SessionAccess>, at now: Date
    ) throws -> [String] {
        guard let product = order.product else { return ["unknown product \(order.productNameID)"] }
        return try blockers(
            names: names, product: product, scope: order.dcvScope, orderDCV: order.dcv, containerID: order.containerID,
            organizationID: order.organizationID, connection: connection, at: now)
    }

    /// Run before a transaction that may issue: whether nothing blocks `names` and CAA permits them
    /// (CAA is checked only once the names are validated, and never inside a transaction).
    ///
    /// - Parameters:
    ///   - acmeUserID: the user of an ACME order, whose account CAA `accounturi` names (RFC 8657).
    ///   - acmeAccountID: that account, when the caller knows it (it is then not read).
    public func precheck(
        names: CertificateNames, product: Product, scope: DCVScope, orderDCV: OrderDCV?, containerID: Int,
        organizationID: Int?, acmeUserID: Int? = nil, acmeAccountID: Int? = nil, now: Date
    ) async throws
        -> (cleared: Bool, caa: [String: String])
    {
        guard dcvMode == .checked else { return (true, [:]) }
        // An order that validates its names itself (ACME, DigiCert DV) is blocked by a name it has
        // not validated yet, whatever the store holds: nothing to read.
        if scope == .order,
            DomainControl.validationNames(of: names, isTLS: product.isTLS).contains(where: { orderDCV?.validates($0) != true })
        {
            return (false, [:])
        }
        // The store knows the rest: validations beyond the order's own, the organization's, and
        // the account of an ACME order's user.
        var accountID = acmeAccountID
        let unknownAccountUser = accountID == nil ? acmeUserID : nil
        if scope != .order || product.validationLevel.needsOrganization || unknownAccountUser != nil {
            let (blocked, account) = try await store.read { connection in
                (
                    try self.blockers(
                        names: names, product: product, scope: scope, orderDCV: orderDCV, containerID: containerID,
                        organizationID: organizationID, connection: connection, at: now),
                    try unknownAccountUser.flatMap { try connection.acmeAccount(userID: $0) }
                )
            }
            guard blocked.isEmpty else { return (false, [:]) }
            accountID = accountID ?? account?.id
        }
        guard product.isTLS else { return (true, [:]) }
        var requester = CAARequester(methods: orderDCV?.names.mapValues(\.method) ?? [:])
        if let accountID { requester.accountURI = domainControl.settings.acmeAccountURL(accountID) }
        let problems = await domainControl.caaProblems(
            DomainControl.validationNames(of: names, isTLS: true), requester: requester)
        return (problems.isEmpty, problems.mapValues(Self.describe))
    }

    public static func describe(_ verdict: CAAVerdict) -> String {
        switch verdict {
        case .permitted: return "permitted"
        case .forbidden(let domain, let reason): return "caa_check_failed|\(domain): \(reason)"
        case .lookupFailed(let domain, let reason): return "caa_not_found|\(domain): \(reason)"
        }
    }

    /// Keeps the latest CAA findings on the order, for order info (`caa_status_message`).
    public func recordCAA(_ messages: [String: String], orderID: Int, connection: WriteSession, at now: Date) throws {
        guard let order = try connection.order(id: orderID) else { return }
        guard (order.dcv?.caaMessages ?? [:]) != messages else { return }
        var dcv = order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
        dcv.caaMessages = messages
        try connection.setOrderDCV(
            orderID: orderID, dcv, nextCheck: domainControl.nextCheck(after: dcv.attempts, dcv: dcv, from: now))
    }

    /// What the CA is asked to sign for a certificate signed `now`: from midnight UTC of the day
    /// (``Order/notBefore(signedAt:)``) to the order's, the requested or the industry's end.
    public func leafRequest(
        product: Product, names: CertificateNames, csr: InspectedCSR, organization: OrganizationDetails?,
        organizationUnits: [String], hash: SignatureHash, profileOption: TLSProfileOption?, orderValidTill: Date,
        certificateValidTill: Date?, namePolicy: NamePolicy, now: Date
    ) -> LeafRequest {
        let notBefore = Order.notBefore(signedAt: now)
        return LeafRequest(
            publicKey: csr.publicKey, key: csr.key, product: product, names: names, organization: organization,
            organizationUnits: organizationUnits, signatureHash: hash, profileOption: profileOption, notBefore: notBefore,
            notAfter: Order.certificateEnd(
                notBefore: notBefore, orderValidTill: orderValidTill, certificateValidTill: certificateValidTill,
                product: product, policy: policy),
            endpoints: endpoints, namePolicy: namePolicy)
    }

    /// Whether a reissue leaves out a name that the certificate it replaces covered.
    public static func dropsNames(_ old: CertificateNames, replacedBy new: CertificateNames, isTLS: Bool) -> Bool {
        let kept = Set(new.subjectAlternativeNames(isTLS: isTLS) + new.emails.map { $0.lowercased() })
        return !(old.subjectAlternativeNames(isTLS: isTLS) + old.emails.map { $0.lowercased() }).allSatisfy(kept.contains)
    }

    /// Issues an approved certificate whose validation is complete. Returns whether it issued.
    @discardableResult
    public func advance(certificateID: Int) async throws -> Bool {
        let now = clock.now()
        let waiting = try await store.read { connection -> (CertificateRecord, Order)? in
            guard let certificate = try connection.certificate(id: certificateID), certificate.status == .approved,
                let order = try connection.order(id: certificate.orderID)
            else { return nil }
            return (certificate, order)
        }
        guard let (certificate, order) = waiting, let product = order.product else { return false }
        let (cleared, caa) = try await precheck(
            names: certificate.names, product: product, scope: order.dcvScope, orderDCV: order.dcv,
            containerID: order.containerID, organizationID: order.organizationID,
            acmeUserID: order.origin == .acme ? order.userID : nil, now: now)
        guard cleared else {
            try await store.write { try self.recordCAA(caa, orderID: order.id, connection: $0, at: now) }
            return false
        }
        let pending = try await retryingUniqueViolations {
            try await store.write { connection -> PendingSignature? in
                // Locks, so that another instance advancing the same certificate waits and then finds it reserved.
                guard let certificate = try connection.certificate(id: certificateID, forUpdate: true),
                    let order = try connection.order(id: certificate.orderID, forUpdate: true)
                else { return nil }
                try self.recordCAA([:], orderID: order.id, connection: connection, at: now)
                return try self.reserveIfReady(order, certificate, csr: nil, caaCleared: true, connection: connection, now: now)
            }
        }
        guard let pending else { return try await awaitOtherSigner(of: certificateID) }
        return try await complete(pending) != nil
    }

    /// When another signer holds the certificate's reservation (the background pass and a
    /// client's "check now" race), waits for it to record the certificate, as a lock would have
    /// made it wait: briefly, since a signature takes milliseconds. `false` when nothing is being
    /// signed (something blocks the certificate) or the other signer does not finish in time.
    private func awaitOtherSigner(of certificateID: Int) async throws -> Bool {
        for _ in 0..<250 {
            let (status, signing) = try await store.read { connection in
                (
                    try connection.certificate(id: certificateID)?.status,
                    try connection.pendingSerial(certificateID: certificateID) != nil
                )
            }
            if status == .issued { return true }
            guard signing else { return false }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    /// One background pass: tries every approved certificate (those whose signature was reserved
    /// by a signer that went away among them). Returns how many issued.
    /// Issues order `orderID`'s approved certificates whose names are now validated (after an
    /// e-mail link was followed); returns how many.
    public func advanceApprovedCertificates(orderID: Int) async throws -> Int {
        let approved = try await store.read { try $0.certificates(orderID: orderID).filter { $0.status == .approved } }
        var issued = 0
        for certificate in approved where try await advance(certificateID: certificate.id) { issued += 1 }
        return issued
    }

    public func advanceApprovedCertificates(limit: Int = 500) async throws -> Int {
        let ids = try await store.read { try $0.certificateIDs(status: .approved, limit: limit) }
        var issued = 0
        for id in ids where try await advance(certificateID: id) { issued += 1 }
        return issued
    }
}
