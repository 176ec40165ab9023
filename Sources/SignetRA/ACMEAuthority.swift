import Crypto
import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation
import SwiftASN1
import X509

/// The registration authority's narrow interface for the ACME front end (step-ca's lesson):
/// External Account Binding keys, accounts that act as users of their container, orders opened
/// before their CSR, challenges checked by the validation module, finalization and revocation.
public final class ACMEAuthority: Sendable {
    let registration: RegistrationAuthority
    let sealer: SecretSealer
    let credentials: Credentials
    /// The product an account's orders are placed for when its binding names none: DV TLS that
    /// takes wildcards and several names, as ACME clients ask.
    public static let defaultProduct = "ssl_dv_geotrust_flex"

    public init(registration: RegistrationAuthority, sealer: SecretSealer, credentials: Credentials) {
        self.registration = registration
        self.sealer = sealer
        self.credentials = credentials
    }

    var store: SignetStore { registration.store }
    var clock: any WallClock { registration.clock }

    // MARK: External Account Binding

    /// The unused EAB key `keyID` and its HMAC key; `nil` when unknown or bound already.
    public func externalAccountKey(_ keyID: String) async throws -> (ACMEExternalAccountKey, [UInt8])? {
        guard let key = try await store.read({ try $0.acmeExternalAccountKey(keyID: keyID) }), key.accountID == nil,
            let secret = try? sealer.open(key.sealedKey), let bytes = Base64URL.decode(secret)
        else { return nil }
        return (key, bytes)
    }

    // MARK: accounts

    /// Registers an account for `jwkJSON` bound by EAB key `eabKeyID` (checked by the dialect):
    /// a user of the key's container acts for it. A key binds one account.
    public func register(
        jwkJSON: String, thumbprint: String, contact: [String], eab: ACMEExternalAccountKey
    ) async throws -> ACMEAccount {
        let now = clock.now()
        return try await store.write { connection in
            if let existing = try connection.acmeAccount(thumbprint: thumbprint) { return existing }
            let user = try connection.createUser(
                containerID: eab.containerID, username: "acme-\(thumbprint.prefix(16))", firstName: "ACME",
                lastName: "account",
                email: contact.first.map { $0.replacingOccurrences(of: "mailto:", with: "") }
                    ?? "acme-\(thumbprint.prefix(12))@signet.invalid", role: .manager, isAPIOnly: true, at: now)
            let account = try connection.insertACMEAccount(
                containerID: eab.containerID, userID: user.id, thumbprint: thumbprint, jwkJSON: jwkJSON, contact: contact,
                eabKeyID: eab.id, at: now)
            guard try connection.bindACMEExternalAccountKey(id: eab.id, accountID: account.id) else {
                throw ACMEError.unauthorized("the external account binding key was used by another account")
            }
            return account
        }
    }

    public func account(id: Int) async throws -> ACMEAccount? {
        try await credentials.acmeAccount(id: id)?.account
    }

    public func account(thumbprint: String) async throws -> ACMEAccount? {
        try await store.read { try $0.acmeAccount(thumbprint: thumbprint) }
    }

    /// Who an account acts as: a manager of its container (it may skip approval unless its binding
    /// asks for approval), with the container's naming policy.
    public func principal(of account: ACMEAccount) async throws -> (Principal, ACMEExternalAccountKey?) {
        guard let credential = try await credentials.acmeAccount(id: account.id) else {
            throw WorkflowError.userNotFound(account.userID)
        }
        return (credential.principal, credential.binding)
    }

    public func update(accountID: Int, status: ACMEAccountStatus, contact: [String]) async throws {
        try await store.write { try $0.updateACMEAccount(id: accountID, status: status, contact: contact) }
        credentials.forgetACMEAccount(id: accountID)
    }

    /// RFC 8555 7.3.5: the account's key becomes `jwkJSON`; a key that another account holds is a conflict.
    public func changeKey(accountID: Int, thumbprint: String, jwkJSON: String) async throws {
        try await store.write { connection in
            if let holder = try connection.acmeAccount(thumbprint: thumbprint), holder.id != accountID {
                throw ACMEError.conflict("another account holds this key")
            }
            try connection.updateACMEAccountKey(id: accountID, thumbprint: thumbprint, jwkJSON: jwkJSON)
        }
        credentials.forgetACMEAccount(id: accountID)
    }

    public func orderIDs(of account: ACMEAccount, limit: Int = 1000) async throws -> [Int] {
        try await store.read { try $0.acmeOrderIDs(userID: account.userID, limit: limit) }
    }

    // MARK: renewal information (RFC 9773)

    /// The certificate an ARI certificate identifier names: `base64url(AKI keyIdentifier) "."
    /// base64url(serial)`; `nil` when it names none of this CA's.
    public func renewalTarget(_ identifier: String) async throws -> ACMERenewalTarget? {
        let parts = identifier.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let keyIdentifier = Base64URL.decode(String(parts[0])), !keyIdentifier.isEmpty,
            let serial = Base64URL.decode(String(parts[1])), !serial.isEmpty, serial.count <= 21
        else { return nil }
        let hex = serial.hexString
        return try await store.read { connection in
            guard let certificate = try connection.certificate(matching: hex), let issuance = certificate.issuance,
                keyIdentifier.hexString.hasPrefix(issuance.issuerID.uppercased()),
                let order = try connection.order(id: certificate.orderID)
            else { return nil }
            return ACMERenewalTarget(certificate: certificate, issuance: issuance, order: order)
        }
    }

    // MARK: orders

    /// Opens an order for `identifiers` (DNS names and, in private containers, IP addresses),
    /// charged and authorized like any order; each identifier not yet valid gets its challenges.
    ///
    /// - Parameters:
    ///   - profile: the profile's name, recorded with the order.
    ///   - productNameID: the profile's product; `nil` for the product the account's binding names.
    ///   - certificateDays: the profile's certificate life; `nil` for the product's own.
    public func newOrder(
        identifiers: [String], account: ACMEAccount, profile: String, product productNameID: String?,
        certificateDays: Int?, replacing replaced: ACMERenewalTarget? = nil
    ) async throws -> ACMEOrderState {
        let (principal, key) = try await principal(of: account)
        guard let first = identifiers.first else { throw ACMEError.malformed("an order names at least one identifier") }
        let productID = productNameID ?? key?.productNameID ?? Self.defaultProduct
        var submission = OrderSubmission(productNameID: productID)
        if ProductCatalog.product(nameID: productID)?.validationLevel.needsOrganization == true {
            // DigiCert ties an OV or EV ACME directory to one organization; here the binding names it.
            guard let organizationID = key?.organizationID else {
                throw ACMEError.invalidProfile(
                    "\(profile) is an OV or EV product: the account's binding names no organization (signet acme eab create --organization)"
                )
            }
            submission.organization = .existing(organizationID)
        }
        submission.origin = .acme
        submission.commonName = first
        submission.dnsNames = Array(identifiers.dropFirst())
        submission.csrAtFinalize = true
        submission.signatureHash = "sha256"
        submission.legacyValidity = ValidityRequest(years: 1, fieldPrefix: "")
        if let certificateDays { submission.certificateValidity = ValidityRequest(days: certificateDays, fieldPrefix: "") }
        submission.containerID = account.containerID
        submission.skipApproval = !(key?.requiresApproval ?? false)
        submission.options.dcvMethod = DCVMethod.http01.rawValue
        if let replaced {
            // RFC 9773 `replaces`: the new order renews the old one, as a CertCentral renewal does
            // (credit for the time left, one renewal per order).
            guard replaced.order.userID == account.userID else {
                throw ACMEError.unauthorized("the certificate to replace belongs to another account")
            }
            submission.options.renewalOfOrderID = replaced.order.id
        }
        // ACME has no idempotency key, so the order is new and its transaction left its state
        // (the read is for an opening that wrote nothing, which ACME never sees).
        let opening = ACMEOrderOpening(profile: profile, authority: self)
        let opened = try await registration.open(submission, by: principal, fingerprint: "", attachment: opening)
        let state: ACMEOrderState
        if let written = opening.state {
            state = written
        } else {
            state = try await orderState(orderID: opened.order.id, account: account)
        }
        // A dns-persist-01 record already in place validates the identifier at once (the draft's point).
        let persistent = state.identifiers.filter { $0.status == .pending }.flatMap(\.challenges).filter {
            $0.type == .dnsPersist01 && $0.status == .pending
        }
        var validated = false
        for challenge in persistent {
            let outcome = try await check(challenge, keyAuthorization: "", account: account, targets: .public)
            try await record(outcome, of: challenge, account: account, failureEndsOrder: false)
            if case .passed = outcome { validated = true }
        }
        // A record that is not there changes nothing: the state above still stands.
        return validated ? try await orderState(orderID: opened.order.id, account: account) : state
    }

    /// The account's URL as clients know it (CAA `accounturi`, dns-account-01, dns-persist-01).
    public func accountURL(_ account: ACMEAccount) -> String {
        registration.domainControl.settings.acmeAccountURL(account.id)
    }

    /// The issuer domain names dns-persist-01 records name (`--caa-identity`).
    public var issuerDomainNames: [String] { registration.domainControl.caa.issuerDomains }

    /// The order `orderID` of `account`, with its identifiers' states.
    public func orderState(orderID: Int, account: ACMEAccount) async throws -> ACMEOrderState {
        let now = clock.now()
        return try await store.read { connection in
            guard let order = try connection.order(id: orderID), order.userID == account.userID, order.origin == .acme else {
                throw WorkflowError.orderNotFound(String(orderID))
            }
            return try self.state(of: order, connection: connection, at: now)
        }
    }

    /// The state of ACME order `order` as `connection` sees it: a read's, or the transaction's
    /// that opened the order (which answers newOrder without reading it all again).
    func state(of order: Order, connection: StoreSession<some SessionAccess>, at now: Date) throws -> ACMEOrderState {
        let names = order.names.subjectAlternativeNames(isTLS: true)
        let waiting = Set(
            try registration.domainControl.uncovered(
                names, scope: order.dcvScope, orderDCV: order.dcv, containerID: order.containerID, connection: connection,
                at: now))
        let challenges = Dictionary(grouping: try connection.acmeChallenges(orderID: order.id), by: \.name)
        let deactivated = try connection.deactivatedACMEAuthorizations(orderID: order.id)
        let isPastExpiry = now >= order.dateCreated.addingTimeInterval(ACMEOrderState.lifetime)
        let identifiers = names.map { name in
            let mine = challenges[name] ?? []
            let status = ACMEAuthorizationStatus(
                isValidated: registration.dcvMode == .alwaysValid || !waiting.contains(name), challenges: mine.map(\.status),
                isDeactivated: deactivated.contains(name), isPastExpiry: isPastExpiry)
            // Every identifier gets its challenges when the order opens; an authorization that is
            // no longer pending shows only the challenges that were tried (RFC 8555 7.1.4).
            let shown = status == .pending ? mine : mine.filter { $0.status != .pending }
            return ACMEIdentifierState(name: name, status: status, challenges: shown, isWildcard: name.hasPrefix("*."))
        }
        let endReason =
            [.canceled, .rejected].contains(order.status)
            ? try connection.requests(orderIDs: [order.id])[order.id]?.last(where: { $0.processorComment != nil })?
                .processorComment : nil
        return ACMEOrderState(
            order: order, identifiers: identifiers, certificate: try connection.currentCertificate(of: order),
            endReason: endReason, profile: try connection.acmeProfile(orderID: order.id), now: now)
    }

    /// RFC 8555 7.4: the CSR names exactly the order's identifiers; then the order is finalized
    /// (a finalize repeated with the same CSR answers the same order, never a second certificate).
    public func finalize(orderID: Int, csrDER: [UInt8], account: ACMEAccount) async throws -> ACMEOrderState {
        let state = try await orderState(orderID: orderID, account: account)
        let inspected = try RegistrationAuthority.inspect(der: csrDER)
        let principal = try await principal(of: account).0
        if state.order.certificateID != nil {
            _ = try await registration.finalize(state.order, csr: inspected, by: principal)
            return try await orderState(orderID: orderID, account: account)
        }
        guard state.status == .ready else {
            throw ACMEError.orderNotReady("the order is \(state.status); every authorization must be valid first")
        }
        guard let asked = inspected.requestedNames else {
            throw ACMEError.badCSR("the CSR's subjectAltName holds names other than DNS names and IP addresses")
        }
        let ordered = Set(state.order.names.subjectAlternativeNames(isTLS: true))
        guard asked == ordered else {
            throw ACMEError.badCSR(
                "the CSR names \(asked.sorted().joined(separator: ", ")); the order names \(ordered.sorted().joined(separator: ", "))"
            )
        }
        let placed = try await registration.finalize(state.order, csr: inspected, by: principal)
        if placed.certificate.status == .approved, registration.dcvMode == .checked {
            try await refuseIfCAAForbids(placed.order, account: account)
        }
        guard !placed.isRepeat else { return try await orderState(orderID: orderID, account: account) }
        // Every authorization was valid; what changed is the order and its certificate.
        return ACMEOrderState(
            order: placed.order, identifiers: state.identifiers, certificate: placed.certificate, endReason: nil,
            profile: state.profile, now: clock.now())
    }

    /// An approved certificate that was not signed at finalize may be waiting on CAA: an ACME order
    /// then fails (RFC 8555's `caa` problem) rather than wait for records that name another account
    /// or method (RFC 8657), and is credited back.
    private func refuseIfCAAForbids(_ order: Order, account: ACMEAccount) async throws {
        let names = DomainControl.validationNames(of: order.names, isTLS: true)
        let requester = CAARequester(
            accountURI: accountURL(account), methods: order.dcv?.names.mapValues(\.method) ?? [:])
        let problems = await registration.domainControl.caaProblems(names, requester: requester)
        guard let (name, verdict) = problems.sorted(by: { $0.key < $1.key }).first else { return }
        try await store.write { connection in
            try self.withdraw(
                orderID: order.id, by: account.userID, because: "CAA forbids issuance for \(name)", connection: connection,
                at: self.clock.now())
        }
        switch verdict {
        case .forbidden(let domain, let reason): throw ACMEError.caa("\(name): CAA at \(domain) \(reason)")
        case .lookupFailed(let domain, let reason): throw ACMEError.caa("\(name): the CAA lookup at \(domain) failed: \(reason)")
        case .permitted: return
        }
    }

    /// The issued certificate `certificateID` of one of `account`'s orders, with its chain.
    public func certificate(id certificateID: Int, account: ACMEAccount) async throws -> (CertificateRecord, [ChainCertificate]) {
        let found = try await store.read { connection -> (CertificateRecord, Order)? in
            guard let certificate = try connection.certificate(id: certificateID),
                let order = try connection.order(id: certificate.orderID), order.userID == account.userID
            else { return nil }
            return (certificate, order)
        }
        guard let (certificate, order) = found, certificate.issuance != nil else {
            throw WorkflowError.certificateNotFound(String(certificateID))
        }
        return (certificate, registration.authority.chain(of: certificate, family: order.product?.family ?? .tls))
    }

    /// RFC 8555 7.6: revokes a certificate at once, asked by the account that ordered it (or, with
    /// `account` nil, by the holder of the certificate's key, whom the dialect checked).
    public func revoke(certificateDER: [UInt8], reason: RevocationReason, account: ACMEAccount?) async throws {
        let now = clock.now()
        let serial = try Certificate(derEncoded: certificateDER).serialNumber
        let hex = serial.bytes.hexString
        try await store.write { connection in
            guard let certificate = try connection.certificate(matching: hex),
                let order = try connection.order(id: certificate.orderID, forUpdate: true),
                let issuance = certificate.issuance, try PEM.derBytes(of: issuance.pem) == certificateDER
            else { throw ACMEError.malformed("the certificate was not issued by this CA") }
            if let account, order.userID != account.userID {
                throw ACMEError.unauthorized("the account did not order this certificate")
            }
            guard certificate.status == .issued else { throw WorkflowError.certificateAlreadyRevoked(certificate.id) }
            try self.registration.revokeNow(
                order: order, certificateID: certificate.id, reason: reason, connection: connection, now: now,
                processorID: account?.userID)
        }
    }
}

/// What ACME keeps beside an order it opens, written in the order's transaction: the profile the
/// client chose, and a challenge of each type for each identifier (RFC 8555 7.1.4), with fresh
/// tokens. It keeps the order's state as that transaction left it, for newOrder's answer: a read
/// of the order after the commit would find the same, one read session later.
final class ACMEOrderOpening: OrderAttachment, @unchecked Sendable {
    let profile: String
    let authority: ACMEAuthority
    private let lock = NSLock()
    private var written: ACMEOrderState?

    init(profile: String, authority: ACMEAuthority) {
        self.profile = profile
        self.authority = authority
    }

    /// The opened order's state; `nil` until its transaction ran (or if none did).
    var state: ACMEOrderState? { lock.withLock { written } }

    func write(for order: Order, cost: Money, connection: WriteSession, at now: Date) throws {
        try connection.recordACMEProfile(orderID: order.id, profile: profile)
        for name in order.names.subjectAlternativeNames(isTLS: true) {
            for type in ACMEAuthority.challengeTypes(for: name) {
                try connection.insertACMEChallenge(orderID: order.id, name: name, type: type, token: ACMEAuthority.token())
            }
        }
        let state = try authority.state(of: order, connection: connection, at: now)
        lock.withLock { written = state }
    }
}
