import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import Vapor

/// Reissues (seed 000), duplicates (seed 002), cancellations and revocations (certcentral.md 4.4, 5, 6, 8.3).
struct LifecycleRoutes: RouteCollection {
    /// The RA as the CertCentral dialect sees it.
    let workflow: any CertCentralWorkflow

    func boot(routes: any RoutesBuilder) throws {
        routes.post("order", "certificate", ":id", "reissue", use: reissue)
        routes.get("order", "certificate", ":id", "reissue", use: listReissues)
        routes.post("order", "certificate", ":id", "duplicate", use: duplicate)
        routes.get("order", "certificate", ":id", "duplicate", use: listDuplicates)
        routes.put("order", "certificate", ":id", "status", use: updateStatus)
        routes.put("order", "certificate", ":id", "revoke", use: revokeOrder)
        routes.put("certificate", ":certificate_id", "revoke", use: revokeCertificate)
    }

    /// Reads the body of a reissue or duplicate: `certificate{…}`, `comments`, `skip_approval`.
    private func submission(_ request: Request) throws -> OrderSubmission {
        let body = try request.jsonObject()
        guard let certificate = try body.object("certificate") else { throw OrderRuleError.missingField("certificate") }
        var submission = OrderSubmission(productNameID: "")
        submission.commonName = try certificate.string("common_name")
        submission.person = try OrderRequestDecoding.person(certificate)
        submission.dnsNames = try certificate.strings("dns_names") ?? []
        submission.emails = try certificate.strings("emails") ?? []
        submission.csr = try certificate.string("csr")
        submission.signatureHash = try certificate.string("signature_hash")
        submission.serverPlatformID = try certificate.object("server_platform")?.int("id")
        submission.skipApproval = try body.bool("skip_approval") ?? false
        submission.options.comments = try body.string("comments")
        return submission
    }

    func reissue(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let orderID = try request.intParameter("id") { .orderNotFound($0) }
        let placed = try await workflow.reissue(
            orderID: orderID, try submission(request), by: principal, additionalNames: 0, attachment: nil)
        return try CertCentralFormat.response(AddedCertificateView(placed, authority: request.signet.authority), status: .created)
    }

    func duplicate(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let orderID = try request.intParameter("id") { .orderNotFound($0) }
        let placed = try await workflow.duplicate(orderID: orderID, try submission(request), by: principal)
        return try CertCentralFormat.response(AddedCertificateView(placed, authority: request.signet.authority), status: .created)
    }

    func listReissues(_ request: Request) async throws -> Response {
        let views = try await certificates(request, roles: [.primary, .reissue]) { certificate, users, now in
            ReissueView(certificate, user: users[certificate.userID], now: now)
        }
        return try CertCentralFormat.response(["certificates": views])
    }

    func listDuplicates(_ request: Request) async throws -> Response {
        let authority = request.signet.authority
        let views = try await certificates(request, roles: [.duplicate]) { certificate, users, now in
            DuplicateView(
                certificate, user: users[certificate.userID], now: now,
                issuerID: authority.issuer(of: certificate, family: .tls).id)
        }
        return try CertCentralFormat.response(["certificates": views])
    }

    /// The order's certificates of `roles`, rendered with their requesting users.
    private func certificates<View: Encodable & Sendable>(
        _ request: Request, roles: Set<CertificateRole>,
        render: @escaping @Sendable (CertificateRecord, [Int: User], Date) -> View
    ) async throws -> [View] {
        let principal = try request.principal
        let orderID = try request.intParameter("id") { .orderNotFound($0) }
        let now = request.signet.clock.now()
        return try await request.signet.reader.read { connection in
            guard let order = try connection.order(id: orderID), principal.canSee(containerID: order.containerID) else {
                throw WorkflowError.orderNotFound(String(orderID))
            }
            let certificates = try connection.certificates(orderID: orderID).filter { roles.contains($0.role) }
            let users = try connection.users(ids: certificates.map(\.userID))
            return certificates.map { render($0, users, now) }
        }
    }

    /// `{"status": "canceled", "note": "why"}` → 204. Older clients send `CANCELED` (and
    /// `send_emails`, which changes nothing here). `renewed` and `not_renewed` apply only to orders
    /// migrated into DigiCert, which Signet does not have.
    func updateStatus(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let orderID = try request.intParameter("id") { .orderNotFound($0) }
        let body = try request.jsonObject()
        guard let status = try body.string("status")?.lowercased() else { throw OrderRuleError.missingField("status") }
        switch status {
        case OrderStatus.canceled.rawValue:
            guard let note = try body.string("note"), !note.isEmpty else { throw OrderRuleError.missingField("note") }
            try await workflow.cancel(orderID: orderID, note: note, by: principal)
            return Response(status: .noContent)
        case "renewed", "not_renewed":
            throw OrderRuleError.invalidValue(
                field: "status", reason: "\(status) applies only to orders migrated from another system, and Signet has none")
        default:
            throw OrderRuleError.invalidValue(field: "status", reason: "use canceled")
        }
    }

    func revokeOrder(_ request: Request) async throws -> Response {
        let orderID = try request.intParameter("id") { .orderNotFound($0) }
        return try await revoke(request, target: .order(orderID))
    }

    func revokeCertificate(_ request: Request) async throws -> Response {
        try await revoke(request, target: .certificate(request.parameters.get("certificate_id") ?? ""))
    }

    /// `revocation_reason` (or `reason`) in camelCase or snake_case, `comments` (or `comment`), `skip_approval`.
    private func revoke(_ request: Request, target: RevocationTarget) async throws -> Response {
        let principal = try request.principal
        let body = try request.optionalJSONObject()
        var reason = RevocationReason.unspecified
        let field = body.has("revocation_reason") ? "revocation_reason" : "reason"
        if let raw = try body.string(field), !raw.isEmpty {
            guard let parsed = RevocationReason(clientValue: raw) else {
                throw OrderRuleError.invalidValue(
                    field: field,
                    reason:
                        "use unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or privilegeWithdrawn"
                )
            }
            reason = parsed
        }
        let comment = try body.string("comments") ?? body.string("comment")
        let outcome = try await workflow.revoke(
            target, reason: reason, comment: comment, skipApproval: try body.bool("skip_approval") ?? false, by: principal)
        switch outcome {
        case .revoked:
            return Response(status: .noContent)
        case .requested(let approval):
            let requester = try await request.signet.reader.read { try $0.user(id: approval.requesterID) }
            return try CertCentralFormat.response(RevokeRequestView(approval, requester: requester), status: .created)
        }
    }
}

/// The 201 answer to a reissue or duplicate (seed 000): `{id, requests:[{id}]}`, or with
/// `skip_approval` `{id, certificate_id}` and the chain when issued within the request.
struct AddedCertificateView: Encodable {
    struct RequestStub: Encodable {
        let id: Int
    }

    let id: Int
    let requests: [RequestStub]?
    let certificateId: Int?
    let certificateChain: [OrderCreatedView.ChainEntry]?

    init(_ placed: PlacedOrder, authority: CertificateAuthority) {
        id = placed.order.id
        let skipped = placed.order.options.skipApproval ?? false
        requests = skipped ? nil : placed.requests.map { RequestStub(id: $0.id) }
        certificateId = skipped ? placed.certificate.id : nil
        certificateChain = OrderCreatedView.chain(
            placed.certificate, authority: authority, family: placed.order.product?.family ?? .tls)
    }
}

/// One entry of `GET …/reissue` (certcentral.md 5).
struct ReissueView: Encodable {
    let id: Int
    let thumbprint: String?
    let serialNumber: String?
    let commonName: String
    let dnsNames: [String]
    let status: String
    let dateCreated: String
    let dateIssued: String?
    let validTill: String?
    let daysRemaining: Int?
    let csr: String
    let keySize: Int
    let archived: Int
    let userId: Int
    let email: String?
    let firstname: String?
    let lastname: String?

    init(_ certificate: CertificateRecord, user: User?, now: Date) {
        id = certificate.id
        thumbprint = certificate.issuance?.thumbprint
        serialNumber = certificate.issuance?.serialNumber
        commonName = certificate.names.commonName
        dnsNames = certificate.names.dnsNames
        status = certificate.status.rawValue
        dateCreated = CertCentralFormat.timestamp(certificate.dateCreated)
        dateIssued = certificate.issuance.map { CertCentralFormat.timestamp($0.dateIssued) }
        validTill = certificate.issuance.map { CertCentralFormat.day($0.validTill) }
        daysRemaining = certificate.issuance.map { CertCentralFormat.daysRemaining(until: $0.validTill, now: now) }
        csr = certificate.csr
        keySize = certificate.key.size
        archived = 0
        userId = certificate.userID
        email = user?.email
        firstname = user?.firstName
        lastname = user?.lastName
    }
}

/// One entry of `GET …/duplicate`, every field of seed 002; issuance fields only once issued.
struct DuplicateView: Encodable {
    let id: Int
    let thumbprint: String?
    let serialNumber: String?
    let commonName: String
    let dnsNames: [String]
    let status: String
    let dateCreated: String
    let validFrom: String?
    let validTill: String?
    let daysRemaining: Int?
    let csr: String
    let serverPlatform: ServerPlatform.View
    let signatureHash: String
    let keySize: Int
    let caCertId: String
    let subId: String
    let publicId: String
    let archived: String
    let userId: Int
    let firstname: String?
    let lastname: String?

    init(_ certificate: CertificateRecord, user: User?, now: Date, issuerID: String) {
        id = certificate.id
        thumbprint = certificate.issuance?.thumbprint
        serialNumber = certificate.issuance?.serialNumber
        commonName = certificate.names.commonName
        dnsNames = certificate.names.dnsNames
        status = certificate.status.rawValue
        dateCreated = CertCentralFormat.timestamp(certificate.dateCreated)
        validFrom = certificate.issuance.map { CertCentralFormat.day($0.validFrom) }
        validTill = certificate.issuance.map { CertCentralFormat.day($0.validTill) }
        daysRemaining = certificate.issuance.map { CertCentralFormat.daysRemaining(until: $0.validTill, now: now) }
        csr = certificate.csr
        serverPlatform = ServerPlatform.view(certificate.serverPlatformID)
        signatureHash = certificate.signatureHash.rawValue
        keySize = certificate.key.size
        caCertId = certificate.issuance?.issuerID ?? issuerID
        subId = String(certificate.id)
        publicId = "\(certificate.orderID)-\(certificate.id)"
        archived = "0"
        userId = certificate.userID
        firstname = user?.firstName
        lastname = user?.lastName
    }
}

/// The 201 answer to a revocation that waits for approval (certcentral.md 8.3).
struct RevokeRequestView: Encodable {
    let id: Int
    let date: String
    let type: String
    let status: String
    let requester: PersonView?
    let comments: String?

    init(_ request: ApprovalRequest, requester: User?) {
        id = request.id
        date = CertCentralFormat.timestamp(request.date)
        type = request.type.rawValue
        status = request.status.rawValue
        self.requester = requester.map(PersonView.init)
        comments = request.comments
    }
}
