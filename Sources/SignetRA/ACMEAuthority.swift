import Crypto
import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation
import SwiftASN1
import X509

/// Where one identifier of an ACME order stands (RFC 8555 7.1.4).
public struct ACMEIdentifierState: Sendable {
    public let name: String
    /// `pending`, `valid` or `invalid`.
    public let status: String
    public let challenges: [ACMEChallenge]
    public let isWildcard: Bool
}

/// An ACME order as its account sees it: the order, its identifiers' states and its certificate.
public struct ACMEOrderState: Sendable {
    public let order: Order
    public let identifiers: [ACMEIdentifierState]
    public let certificate: CertificateRecord?

    /// RFC 8555 7.1.6: pending → ready → processing → valid, or invalid.
    public var status: String {
        switch order.status {
        case .canceled, .rejected: return "invalid"
        case .issued, .reissuePending, .revoked, .expired: return "valid"
        case .needsApproval, .pending:
            if identifiers.contains(where: { $0.status == "invalid" }) { return "invalid" }
            if order.certificateID != 0 { return "processing" }
            return identifiers.allSatisfy { $0.status == "valid" } ? "ready" : "pending"
        }
    }
}

/// A certificate an ARI identifier names: its renewal window, and the order `replaces` renews.
public struct ACMERenewalTarget: Sendable {
    public let certificate: CertificateRecord
    public let issuance: CertificateRecord.Issuance
    public let order: Order

    /// RFC 9773's suggested window: the last third of the certificate's life, from two thirds
    /// (the last half, from its middle, for a short-lived certificate); a revoked certificate's
    /// window has begun already, so that clients replace it at once.
    public func suggestedWindow(now: Date) -> (start: Date, end: Date) {
        if certificate.status == .revoked { return (now.addingTimeInterval(-3600), now.addingTimeInterval(-60)) }
        let lifetime = issuance.validTill.timeIntervalSince(issuance.validFrom)
        let (startShare, endShare) = lifetime <= 7 * 86_400 ? (0.5, 0.75) : (2.0 / 3.0, 5.0 / 6.0)
        return (
            issuance.validFrom.addingTimeInterval(lifetime * startShare),
            issuance.validFrom.addingTimeInterval(lifetime * endShare)
        )
    }
}

/// Why an ACME request cannot be carried out, in terms the ACME dialect maps to RFC 8555 problems.
public enum ACMEError: Error, Sendable, Equatable {
    case accountDoesNotExist
    case externalAccountRequired
    case unauthorized(String)
    case malformed(String)
    case badCSR(String)
    case orderNotReady(String)
    case rejectedIdentifier(String)
    case conflict(String)
    case caa(String)
}

/// The registration authority's narrow interface for the ACME front end (step-ca's lesson):
/// External Account Binding keys, accounts that act as users of their container, orders opened
/// before their CSR, challenges checked by the validation module, finalization and revocation.
public struct ACMEAuthority: Sendable {
    public let registration: RegistrationAuthority
    let sealer: SecretSealer
    /// The product an account's orders are placed for when its binding names none: DV TLS that
    /// takes wildcards and several names, as ACME clients ask.
    public static let defaultProduct = "ssl_dv_geotrust_flex"

    public init(registration: RegistrationAuthority, sealer: SecretSealer) {
        self.registration = registration
        self.sealer = sealer
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
        try await store.read { try $0.acmeAccount(id: id) }
    }

    public func account(thumbprint: String) async throws -> ACMEAccount? {
        try await store.read { try $0.acmeAccount(thumbprint: thumbprint) }
    }

    /// Who an account acts as: a manager of its container (it may skip approval unless its binding
    /// asks for approval), with the container's naming policy.
    public func principal(of account: ACMEAccount) async throws -> (Principal, ACMEExternalAccountKey?) {
        try await store.read { connection in
            guard let user = try connection.user(id: account.userID) else { throw WorkflowError.userNotFound(account.userID) }
            let key = try connection.acmeExternalAccountKeys().first { $0.id == account.eabKeyID }
            return (Principal(user: user, containers: try connection.containers()), key)
        }
    }

    public func update(accountID: Int, status: String, contact: [String]) async throws {
        try await store.write { try $0.updateACMEAccount(id: accountID, status: status, contact: contact) }
    }

    /// RFC 8555 7.3.5: the account's key becomes `jwkJSON`; a key that another account holds is a conflict.
    public func changeKey(accountID: Int, thumbprint: String, jwkJSON: String) async throws {
        try await store.write { connection in
            if let holder = try connection.acmeAccount(thumbprint: thumbprint), holder.id != accountID {
                throw ACMEError.conflict("another account holds this key")
            }
            try connection.updateACMEAccountKey(id: accountID, thumbprint: thumbprint, jwkJSON: jwkJSON)
        }
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
    public func newOrder(
        identifiers: [String], account: ACMEAccount, product productNameID: String?, certificateDays: Int?,
        replacing replaced: ACMERenewalTarget? = nil
    ) async throws -> ACMEOrderState {
        let (principal, key) = try await principal(of: account)
        guard let first = identifiers.first else { throw ACMEError.malformed("an order names at least one identifier") }
        var submission = OrderSubmission(productNameID: productNameID ?? key?.productNameID ?? Self.defaultProduct)
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
        let fingerprint = RegistrationAuthority.fingerprint(Array("acme \(account.id) \(UUID().uuidString)".utf8))
        let opened = try await registration.open(submission, by: principal, fingerprint: fingerprint)
        let state = try await orderState(orderID: opened.order.id, account: account)
        try await store.write { connection in
            let existing = Set(try connection.acmeChallenges(orderID: opened.order.id).map { "\($0.name) \($0.type)" })
            for identifier in state.identifiers where identifier.status == "pending" {
                for type in Self.challengeTypes(for: identifier.name) where !existing.contains("\(identifier.name) \(type)") {
                    try connection.insertACMEChallenge(
                        orderID: opened.order.id, name: identifier.name, type: type.rawValue, token: Self.token())
                }
            }
        }
        // A dns-persist-01 record already in place validates the identifier at once (the draft's point).
        for identifier in state.identifiers where identifier.status == "pending" && !CertificateNames.isIPAddress(identifier.name)
        {
            _ = try await respond(
                orderID: opened.order.id, name: identifier.name, type: .dnsPersist01, keyAuthorization: "", account: account,
                failureEndsOrder: false)
        }
        return try await orderState(orderID: opened.order.id, account: account)
    }

    /// The challenge types an identifier can be validated by: a wildcard by DNS only (RFC 8555
    /// 7.1.3), an address by HTTP and TLS-ALPN only (RFC 8738).
    static func challengeTypes(for name: String) -> [DCVMethod] {
        if name.hasPrefix("*.") { return [.dns01, .dnsAccount01, .dnsPersist01] }
        if CertificateNames.isIPAddress(name) { return [.http01] }
        return [.http01, .dns01, .dnsAccount01, .dnsPersist01]
    }

    /// The account's URL as clients know it (CAA `accounturi`, dns-account-01, dns-persist-01).
    public func accountURL(_ account: ACMEAccount) -> String {
        registration.domainControl.settings.acmeAccountURL(account.id)
    }

    /// The issuer domain names dns-persist-01 records name (`--caa-identity`).
    public var issuerDomainNames: [String] { registration.domainControl.caa.issuerDomains }

    /// A challenge token: 32 random bytes, base64url (RFC 8555 8.1: at least 128 bits).
    static func token() -> String {
        Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    /// The order `orderID` of `account`, with its identifiers' states.
    public func orderState(orderID: Int, account: ACMEAccount) async throws -> ACMEOrderState {
        let now = clock.now()
        return try await store.read { connection in
            guard let order = try connection.order(id: orderID), order.userID == account.userID, order.origin == .acme else {
                throw WorkflowError.orderNotFound(String(orderID))
            }
            let names = order.names.subjectAlternativeNames(isTLS: true)
            let waiting = Set(
                try registration.domainControl.uncovered(
                    names, scope: order.dcvScope, orderDCV: order.dcv, containerID: order.containerID, connection: connection,
                    at: now))
            let challenges = Dictionary(grouping: try connection.acmeChallenges(orderID: orderID), by: \.name)
            let identifiers = names.map { name in
                let mine = challenges[name] ?? []
                let status =
                    registration.dcvMode == .alwaysValid || !waiting.contains(name)
                    ? "valid" : mine.contains(where: { $0.status == "invalid" }) ? "invalid" : "pending"
                return ACMEIdentifierState(name: name, status: status, challenges: mine, isWildcard: name.hasPrefix("*."))
            }
            let certificate = order.certificateID == 0 ? nil : try connection.certificate(id: order.certificateID)
            return ACMEOrderState(order: order, identifiers: identifiers, certificate: certificate)
        }
    }

    /// Checks a challenge the client says is ready (RFC 8555 7.5.1), now, through the validation
    /// module. A success validates the identifier (and issues what became ready); a failure makes
    /// the challenge, its authorization and its order invalid, and the order is withdrawn and
    /// credited back, as an ACME order that failed validation is over.
    public func respond(
        orderID: Int, name: String, type: DCVMethod, keyAuthorization: String, account: ACMEAccount,
        failureEndsOrder: Bool = true
    ) async throws -> ACMEOrderState {
        let state = try await orderState(orderID: orderID, account: account)
        guard let identifier = state.identifiers.first(where: { $0.name == name }),
            let challenge = identifier.challenges.first(where: { $0.type == type.rawValue })
        else { throw ACMEError.malformed("the order has no \(type.rawValue) challenge for \(name)") }
        guard challenge.status == "pending", identifier.status == "pending", state.status == "pending" else {
            return state
        }
        let targets = try await store.read { try $0.container(id: state.order.containerID)?.namePolicy ?? .public }
        let checker = registration.domainControl.checker
        let outcome: DCVOutcome
        switch type {
        case .http01:
            outcome = await checker.http01(
                name: name, token: challenge.token, keyAuthorization: keyAuthorization, targets: targets)
        case .dns01:
            outcome = await checker.dns01(name: name, digest: Self.digest(keyAuthorization))
        case .dnsAccount01:
            outcome = await checker.dnsAccount01(
                name: name, digest: Self.digest(keyAuthorization), accountURL: accountURL(account))
        case .dnsPersist01:
            outcome = await checker.dnsPersist01(
                name: name, issuers: issuerDomainNames, accountURL: accountURL(account), now: clock.now())
        default:
            throw ACMEError.malformed("\(type.rawValue) is not offered")
        }
        let now = clock.now()
        switch outcome {
        case .passed:
            try await store.write {
                try $0.updateACMEChallenge(id: challenge.id, status: "valid", errorJSON: nil, validatedAt: now)
            }
            try await registration.domainControl.record(
                [DomainControl.NameResult(name: name, method: type.rawValue, outcome: outcome)], orderID: orderID, at: now)
        case .failed where !failureEndsOrder:
            break
        case .failed(let failure):
            let problem = Self.problemJSON(type: type, failure: failure)
            try await store.write { connection in
                try connection.updateACMEChallenge(id: challenge.id, status: "invalid", errorJSON: problem, validatedAt: now)
                guard let order = try connection.order(id: orderID, forUpdate: true),
                    [.needsApproval, .pending].contains(order.status)
                else { return }
                try registration.withdrawUnissued(
                    order, as: .canceled, processorID: account.userID, comment: "ACME validation failed: \(failure.detail)",
                    connection: connection, now: now)
                try RegistrationAuthority.refundAll(
                    orderID: orderID, note: "ACME order \(orderID) failed validation", connection: connection, at: now)
            }
        }
        return try await orderState(orderID: orderID, account: account)
    }

    /// The dns-01 and dns-account-01 TXT value: base64url SHA-256 of the key authorization.
    static func digest(_ keyAuthorization: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(keyAuthorization.utf8))))
    }

    static func problemJSON(type: DCVMethod, failure: DCVFailure) -> String {
        let kind: String
        switch failure.kind {
        case .recordMissing, .tokenMismatch: return problem("incorrectResponse", failure.detail)
        case .nameNotFound, .lookupFailed: kind = [.dns01, .dnsAccount01, .dnsPersist01].contains(type) ? "dns" : "connection"
        case .fileNotFound, .redirect: kind = "incorrectResponse"
        case .unreachable: kind = "connection"
        }
        return problem(kind, failure.detail)
    }

    static func problem(_ kind: String, _ detail: String) -> String {
        let object = ["type": "urn:ietf:params:acme:error:\(kind)", "detail": detail, "status": "400"]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 8555 7.4: the CSR names exactly the order's identifiers; then the order is finalized
    /// (a finalize repeated with the same CSR answers the same order, never a second certificate).
    public func finalize(orderID: Int, csrDER: [UInt8], account: ACMEAccount) async throws -> ACMEOrderState {
        let state = try await orderState(orderID: orderID, account: account)
        let pem = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: csrDER).pemString
        if state.order.certificateID != 0 {
            _ = try await registration.finalize(orderID: orderID, csr: pem, by: try await principal(of: account).0)
            return try await orderState(orderID: orderID, account: account)
        }
        guard state.status == "ready" else {
            throw ACMEError.orderNotReady("the order is \(state.status); every authorization must be valid first")
        }
        let inspected = try RegistrationAuthority.inspect(pem)
        guard let asked = inspected.requestedNames else {
            throw ACMEError.badCSR("the CSR's subjectAltName holds names other than DNS names and IP addresses")
        }
        let ordered = Set(state.order.names.subjectAlternativeNames(isTLS: true))
        guard asked == ordered else {
            throw ACMEError.badCSR(
                "the CSR names \(asked.sorted().joined(separator: ", ")); the order names \(ordered.sorted().joined(separator: ", "))"
            )
        }
        let placed = try await registration.finalize(orderID: orderID, csr: pem, by: try await principal(of: account).0)
        if placed.certificate.status == .approved, registration.dcvMode == .checked {
            try await refuseIfCAAForbids(placed.order, account: account)
        }
        return try await orderState(orderID: orderID, account: account)
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
        let now = clock.now()
        try await store.write { connection in
            guard let current = try connection.order(id: order.id, forUpdate: true),
                [.needsApproval, .pending].contains(current.status)
            else { return }
            try registration.withdrawUnissued(
                current, as: .canceled, processorID: account.userID, comment: "CAA forbids issuance for \(name)",
                connection: connection, now: now)
            try RegistrationAuthority.refundAll(
                orderID: order.id, note: "ACME order \(order.id): CAA", connection: connection, at: now)
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
            try registration.revokeNow(
                order: order, certificateID: certificate.id, reason: reason, connection: connection, now: now,
                processorID: account?.userID)
        }
    }
}

/// Base64url without padding (RFC 4648 5), as JOSE and ACME write it.
public enum Base64URL {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `nil` for anything but unpadded base64url.
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }
}
