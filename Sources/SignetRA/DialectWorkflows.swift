import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// The commands of every dialect that takes orders with their CSR: place, reissue, check DCV now.
public protocol OrderTaking: Sendable {
    func placeOrder(
        _ submission: OrderSubmission, by principal: Principal, fingerprint: String, attachment: (any OrderAttachment)?
    ) async throws -> PlacedOrder
    func reissue(
        orderID: Int, _ submission: OrderSubmission, by principal: Principal, additionalNames: Int,
        attachment: (any OrderAttachment)?
    ) async throws -> PlacedOrder
    func checkDCV(orderID: Int, by principal: Principal) async throws -> OrderDCVCheck
}

/// What the CertCentral dialect may ask of the registration authority: its commands, and the
/// domain control its domain routes manage. The dialect holds the RA as this protocol, so that
/// nothing else of the RA (its store, its helpers, another dialect's commands) is within reach.
public protocol CertCentralWorkflow: OrderTaking {
    var domainControl: DomainControl { get }

    func duplicate(orderID: Int, _ submission: OrderSubmission, by principal: Principal) async throws -> PlacedOrder
    func cancel(orderID: Int, note: String, by principal: Principal) async throws
    func decide(requestID: Int, approve: Bool, comment: String?, by principal: Principal) async throws
    func revoke(
        _ target: RevocationTarget, reason: RevocationReason, comment: String?, skipApproval: Bool, by principal: Principal
    ) async throws -> RevocationOutcome
    func createOrganization(
        _ details: OrganizationDetails, containerID: Int, by principal: Principal
    ) async throws
        -> Organization
    func changeDCVMethod(orderID: Int, to raw: String?, by principal: Principal) async throws -> OrderDCV
    func dcvRandomValue(orderID: Int, by principal: Principal) async throws -> OrderDCV
    func resendDCVEmails(
        orderID: Int, recipients: [(domain: String, email: String)], by principal: Principal)
        async throws
}

/// What the reseller dialect may ask of the registration authority: its commands (each taking
/// the dialect's ``OrderAttachment``), read-only access for its views, and the CA for chains.
public protocol ResellerWorkflow: OrderTaking {
    var clock: any WallClock { get }
    var authority: CertificateAuthority { get }
    var reader: StoreReader { get }

    func buyNames(orderID: Int, count: Int, record: any OrderAttachment, by principal: Principal) async throws -> Money
    func removeName(
        _ name: String, orderID: Int, refundOneName: Bool, record: any OrderAttachment, by principal: Principal
    ) async throws -> Order
    func refund(orderID: Int, note: String, record: any OrderAttachment, by principal: Principal) async throws
    func changeDCV(
        orderID: Int, methods: [String: String], emails: [String: String], record: any OrderAttachment,
        by principal: Principal
    ) async throws -> Order
    /// Runs `body` again when a concurrent change won (the attachment's expected details differed).
    func retryingUniqueViolations<T>(_ body: () async throws -> T) async throws -> T
}

extension RegistrationAuthority: CertCentralWorkflow, ResellerWorkflow {
    /// Read-only access to the store, for a dialect's views.
    public var reader: StoreReader { store.reader }
}
