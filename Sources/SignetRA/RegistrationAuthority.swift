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
public final class RegistrationAuthority: Sendable {
    let store: SignetStore
    public let authority: CertificateAuthority
    /// Where the certificates point for CRLs, OCSP and issuer certificates.
    public let endpoints: PKIEndpoints
    public let clock: any WallClock
    public let policy: ValidityPolicy
    public let dcvMode: DCVMode
    public let revocations: RevocationPublisher
    public let domainControl: DomainControl
    /// How long a reserved signature may take before another signer takes it over with a new
    /// serial (the first signer crashed, or its key hangs).
    public let signingLease: TimeInterval
    /// When a ready certificate may be signed (at once, unless the test double slows it).
    public let pace = IssuancePace()
    public var events: OrderEvents { domainControl.events }

    public init(
        store: SignetStore, authority: CertificateAuthority, endpoints: PKIEndpoints, clock: any WallClock,
        policy: ValidityPolicy = .cabForum, dcvMode: DCVMode, revocations: RevocationPublisher, domainControl: DomainControl,
        signingLease: TimeInterval = 60
    ) {
        self.signingLease = signingLease
        self.store = store
        self.authority = authority
        self.endpoints = endpoints
        self.clock = clock
        self.policy = policy
        self.dcvMode = dcvMode
        self.revocations = revocations
        self.domainControl = domainControl
    }

    /// An earlier order under the same idempotency key: returned as it stands now, or refused
    /// when the new request differs from the one that created it.
    ///
    /// `nil` when the submission has no idempotency key or nothing was stored under it. An order
    /// opened without its CSR comes back with no certificate.
    func repeatOf(
        _ submission: OrderSubmission, _ containerID: Int, fingerprint: String, connection: StoreSession<some SessionAccess>
    ) throws -> (order: Order, certificate: CertificateRecord?, requests: [ApprovalRequest])? {
        guard let key = submission.alternativeOrderID,
            let earlier = try connection.order(alternativeOrderID: key, containerID: containerID)
        else { return nil }
        guard earlier.fingerprint == fingerprint else { throw OrderRuleError.idempotencyKeyReused(key) }
        let order = earlier.order
        let certificate = try connection.currentCertificate(of: order)
        return (order, certificate, try connection.requests(orderIDs: [order.id])[order.id] ?? [])
    }

    /// Checks that the organization, container and contact users an order names exist and are the caller's.
    /// Returns the checked details of a new organization, or the existing organization.
    func checkReferences(
        _ submission: OrderSubmission, containerID: Int, principal: Principal
    ) async throws
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
            guard EmailAddress.isContactAddress(details.email) else { throw OrderRuleError.invalidEmail(details.email) }
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
    ///
    /// Returns what it built, so that an order signed in the same instant reserves it without
    /// building and linting it again inside the write transaction.
    @discardableResult
    public func preflight(
        product: Product, names: CertificateNames, csr: InspectedCSR, organization: OrganizationDetails?,
        organizationUnits: [String], hash: SignatureHash, profileOption: TLSProfileOption?, orderValidTill: Date,
        certificateValidTill: Date?, containerPolicy: NamePolicy, now: Date
    ) throws -> LintedLeaf {
        if let organization { try organization.checkSubject(for: product.validationLevel, fieldPrefix: "organization.") }
        let request = leafRequest(
            product: product, names: names, csr: csr, organization: organization, organizationUnits: organizationUnits,
            hash: hash, profileOption: profileOption, orderValidTill: orderValidTill, certificateValidTill: certificateValidTill,
            namePolicy: NamePolicy.needed(for: names, isTLS: product.isTLS) { containerPolicy }, now: now)
        return LintedLeaf(request: request, prepared: try authority.prepare(request, now: now))
    }

    /// Refuses `skip_approval` from a caller who may not skip approval (a user, unless the account allows it):
    /// nothing is stored or charged, and the client learns how to place the order instead.
    /// The submission as the account's approval preferences make it: an administrator's or manager's
    /// order, reissue or duplicate skips approval without asking where the account skips the
    /// approval step or approves approvers' own requests (docs/behaviour.md). Revocations never do.
    static func applyingApprovalPreferences(_ submission: OrderSubmission, _ principal: Principal) -> OrderSubmission {
        guard principal.skipsApprovalByDefault, !submission.skipApproval else { return submission }
        var preferred = submission
        preferred.skipApproval = true
        preferred.options.skipApproval = true
        return preferred
    }

    public static func checkMaySkipApproval(_ skipApproval: Bool, _ principal: Principal) throws {
        guard skipApproval, !principal.maySkipApproval else { return }
        throw WorkflowError.forbidden(
            "a key with the user role may not skip approval on this account; leave skip_approval out and the request waits for an administrator or manager"
        )
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
        Hex.lowercase(SHA256.hash(data: canonical))
    }
}
