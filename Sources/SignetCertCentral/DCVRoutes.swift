import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import SignetValidation
import Vapor

/// Domain control validation (certcentral.md 9): order-level endpoints, the domains API, and
/// Signet's outbox of validation e-mail (an administrator's extension).
struct DCVRoutes: RouteCollection {
    /// The RA as the CertCentral dialect sees it.
    let workflow: any CertCentralWorkflow

    func boot(routes: any RoutesBuilder) throws {
        routes.put("order", "certificate", ":id", "dcv-method", use: changeMethod)
        routes.put("order", "certificate", ":id", "dcv-random-value", use: randomValue)
        routes.put("order", "certificate", ":id", "check-dcv", use: check)
        routes.put("order", "certificate", ":id", "resend-emails", use: resendEmails)
        routes.post("domain", use: addDomain)
        routes.get("domain", use: listDomains)
        routes.get("domain", ":domain_id", use: domainInfo)
        routes.put("domain", ":domain_id", "dcv", "method", use: domainMethod)
        routes.post("domain", ":domain_id", "dcv", "token", use: domainToken)
        routes.put("domain", ":domain_id", "dcv", "validate-token", use: validateDomain)
        routes.get("domain", ":domain_id", "dcv", "emails", use: domainEmails)
        routes.put("domain", ":domain_id", "dcv", "emails", use: resendDomainEmails)
        routes.put("domain", ":domain_id", "activate") { try await setActive($0, true) }
        routes.put("domain", ":domain_id", "deactivate") { try await setActive($0, false) }
        routes.delete("domain", ":domain_id", use: deleteDomain)
        routes.get("outbox", use: outbox)
    }

    private func orderID(_ request: Request) throws -> Int { try request.intParameter("id") { .orderNotFound($0) } }
    private func domainID(_ request: Request) throws -> Int { try request.intParameter("domain_id") { _ in .domainNotFound(0) } }

    func changeMethod(_ request: Request) async throws -> Response {
        let body = try request.jsonObject()
        let dcv = try await workflow.changeDCVMethod(
            orderID: try orderID(request), to: try body.string("dcv_method"), by: try request.principal)
        if try body.string("dcv_method") == DCVMethod.email.rawValue { return Response(status: .noContent) }
        return try CertCentralFormat.response(RandomValueView(dcv))
    }

    func randomValue(_ request: Request) async throws -> Response {
        let dcv = try await workflow.dcvRandomValue(orderID: try orderID(request), by: try request.principal)
        return try CertCentralFormat.response(RandomValueView(dcv))
    }

    func check(_ request: Request) async throws -> Response {
        let result = try await workflow.checkDCV(orderID: try orderID(request), by: try request.principal)
        let failed = result.results.compactMap { item -> (String, DCVFailure)? in
            if case .failed(let failure)? = item.outcome { return (item.method, failure) }
            return nil
        }
        if let (method, _) = failed.first {
            throw WorkflowError.dcvCheckFailed(method: method, details: failed.map { $0.1.detail })
        }
        if result.order.status != .issued, let message = result.caaMessages.sorted(by: { $0.key < $1.key }).first?.value {
            let parts = message.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            throw CertCentralError(.badRequest, parts[0], "CAA keeps the order from being issued: \(parts.last ?? message)")
        }
        // Names this check did not find waiting were validated before it (by the background pass, too).
        let pending = Set(result.results.filter { $0.outcome == nil }.map(\.name))
        let names = result.names
        return try CertCentralFormat.response(
            CheckDCVView(
                orderStatus: result.order.reportedStatus(now: request.signet.clock.now()),
                certificateId: result.order.certificateID, dcvStatus: pending.isEmpty ? "valid" : "pending",
                dnsNameValidations: names.map { .init(dnsName: $0, status: pending.contains($0) ? "pending" : "approved") }))
    }

    func resendEmails(_ request: Request) async throws -> Response {
        let body = try request.optionalJSONObject()
        var recipients: [(String, String)] = []
        for entry in try body.objects("domain_approval_emails") ?? [] {
            guard let email = try entry.string("email") else { throw OrderRuleError.missingField("domain_approval_emails.email") }
            guard let domain = try entry.string("domain") ?? entry.string("dns_name") else {
                throw OrderRuleError.missingField("domain_approval_emails.domain")
            }
            recipients.append((domain.lowercased(), email))
        }
        try await workflow.resendDCVEmails(
            orderID: try orderID(request), recipients: recipients, by: try request.principal)
        return Response(status: .noContent)
    }

    func addDomain(_ request: Request) async throws -> Response {
        let body = try request.jsonObject()
        guard let name = try body.string("name") else { throw OrderRuleError.missingField("name") }
        let domain = try await workflow.domainControl.addDomain(
            name: name, method: try body.string("dcv_method"), keepWWW: try body.bool("keep_www") ?? false,
            organizationID: try body.object("organization")?.int("id"), containerID: try body.object("container")?.int("id"),
            by: try request.principal)
        return try CertCentralFormat.response(
            AddedDomainView(id: domain.id, dcvToken: DCVTokenView(domain, control: workflow.domainControl)),
            status: .created)
    }

    func listDomains(_ request: Request) async throws -> Response {
        let control = workflow.domainControl
        let now = request.signet.clock.now()
        let domains = try await control.domains(by: try request.principal)
        return try CertCentralFormat.response(["domains": domains.map { DomainView($0, control: control, now: now) }])
    }

    func domainInfo(_ request: Request) async throws -> Response {
        let control = workflow.domainControl
        let domain = try await control.domain(id: try domainID(request), by: try request.principal)
        return try CertCentralFormat.response(DomainView(domain, control: control, now: request.signet.clock.now()))
    }

    func domainMethod(_ request: Request) async throws -> Response {
        let control = workflow.domainControl
        let body = try request.jsonObject()
        let domain = try await control.setMethod(
            domainID: try domainID(request), method: try body.string("dcv_method"), by: try request.principal)
        if domain.method == DCVMethod.email.rawValue { return try CertCentralFormat.response([String: String]()) }
        return try CertCentralFormat.response(["dcv_token": DCVTokenView(domain, control: control)])
    }

    func domainToken(_ request: Request) async throws -> Response {
        let control = workflow.domainControl
        let domain = try await control.newToken(domainID: try domainID(request), by: try request.principal)
        return try CertCentralFormat.response(NewTokenView(domain, control: control))
    }

    func validateDomain(_ request: Request) async throws -> Response {
        let domain = try await workflow.domainControl.validateToken(
            domainID: try domainID(request), by: try request.principal)
        return try CertCentralFormat.response(["token": domain.token ?? "", "status": "active"])
    }

    func domainEmails(_ request: Request) async throws -> Response {
        let domain = try await workflow.domainControl.domain(
            id: try domainID(request), by: try request.principal)
        return try CertCentralFormat.response(
            DomainEmailsView(
                nameScope: ApproverEmail.baseDomain(of: domain.name),
                baseEmails: Array(ApproverEmail.addresses(for: domain.name).prefix(ApproverEmail.localParts.count)),
                whoisEmails: [], dnsTxtEmails: []))
    }

    func resendDomainEmails(_ request: Request) async throws -> Response {
        let body = try request.optionalJSONObject()
        try await workflow.domainControl.resendEmails(
            domainID: try domainID(request), addresses: try body.strings("email_array") ?? [], by: try request.principal)
        return Response(status: .noContent)
    }

    func setActive(_ request: Request, _ active: Bool) async throws -> Response {
        try await workflow.domainControl.setActive(
            domainID: try domainID(request), active, by: try request.principal)
        return Response(status: .noContent)
    }

    func deleteDomain(_ request: Request) async throws -> Response {
        try await workflow.domainControl.delete(domainID: try domainID(request), by: try request.principal)
        return Response(status: .noContent)
    }

    /// Signet's outbox of validation e-mail, newest first: an administrator's, of the containers the key sees.
    func outbox(_ request: Request) async throws -> Response {
        let principal = try request.principal
        guard principal.role == .administrator else {
            throw WorkflowError.forbidden("only administrators read the outbox")
        }
        let limit = try request.queryInt("limit") ?? 50
        let emails = try await request.signet.administration.outbox(
            limit: min(max(limit, 1), 500), containerIDs: principal.containerFilter)
        return try CertCentralFormat.response(["messages": emails.map(OutboxMessageView.init)])
    }
}

struct RandomValueView: Encodable {
    let dcvRandomValue: String
    let expirationDate: String

    init(_ dcv: OrderDCV) {
        dcvRandomValue = dcv.randomValue
        expirationDate = CertCentralFormat.timestamp(dcv.expires)
    }
}

struct CheckDCVView: Encodable {
    struct NameValidation: Encodable {
        let dnsName: String
        let status: String
    }

    let orderStatus: String
    /// Absent while the order waits for its CSR.
    let certificateId: Int?
    let dcvStatus: String
    let dnsNameValidations: [NameValidation]
}

/// A domain's random value as CertCentral shows it (`dcv_token`).
struct DCVTokenView: Encodable {
    let token: String
    let status: String
    let expirationDate: String
    let verificationValue: String?
    let httpTokenUrl: String?

    init?(_ domain: DomainValidation, control: DomainControl) {
        guard domain.method != DCVMethod.email.rawValue, let token = domain.token, let expires = domain.tokenExpires else {
            return nil
        }
        self.token = token
        status = domain.validatedUntil == nil ? "pending" : "active"
        expirationDate = CertCentralFormat.timestamp(expires)
        verificationValue = domain.method == DCVMethod.dnsCNAMEToken.rawValue ? control.checker.cnameZone : nil
        httpTokenUrl =
            domain.method == DCVMethod.httpToken.rawValue
            ? "http://\(domain.name)/.well-known/pki-validation/fileauth.txt" : nil
    }
}

struct AddedDomainView: Encodable {
    let id: Int
    let dcvToken: DCVTokenView?
}

struct NewTokenView: Encodable {
    let token: String
    let expirationDate: String
    let httpTokenUrl: String?

    init(_ domain: DomainValidation, control: DomainControl) {
        let view = DCVTokenView(domain, control: control)
        token = domain.token ?? ""
        expirationDate = domain.tokenExpires.map(CertCentralFormat.timestamp) ?? ""
        httpTokenUrl = view?.httpTokenUrl
    }
}

/// `GET /domain` entries and `GET /domain/{id}` (certcentral.md 9.3).
struct DomainView: Encodable {
    struct Validation: Encodable {
        let type: String
        let name: String
        let status: String
        let dcvStatus: String
        let validatedUntil: String?
    }

    let id: Int
    let name: String
    let dateCreated: String
    let isActive: Bool
    let isPendingValidation: Bool
    let status: String
    let dcvMethod: String
    let nameScope: String
    let dcvApprovalDatetime: String?
    let dcvExpirationDatetime: String?
    let validations: [Validation]
    let container: IDView
    let organization: IDView?
    let dcvToken: DCVTokenView?
    let lastError: String?

    init(_ domain: DomainValidation, control: DomainControl, now: Date) {
        let valid = domain.isValid(at: now)
        id = domain.id
        name = domain.name
        dateCreated = CertCentralFormat.timestamp(domain.dateCreated)
        isActive = domain.isActive
        isPendingValidation = !valid
        status = !domain.isActive ? "inactive" : valid ? "active" : domain.validatedUntil == nil ? "pending" : "expired"
        dcvMethod = domain.method
        nameScope = domain.coversSubdomains ? "base_domain" : "fqdn"
        dcvApprovalDatetime = domain.validatedAt.map(CertCentralFormat.timestamp)
        dcvExpirationDatetime = domain.validatedUntil.map(CertCentralFormat.timestamp)
        validations = [
            Validation(
                type: "dv", name: "DV", status: valid ? "active" : domain.validatedUntil == nil ? "pending" : "expired",
                dcvStatus: valid ? "complete" : "pending", validatedUntil: domain.validatedUntil.map(CertCentralFormat.timestamp))
        ]
        container = IDView(id: domain.containerID)
        organization = domain.organizationID.map(IDView.init)
        dcvToken = valid ? nil : DCVTokenView(domain, control: control)
        lastError = valid ? nil : domain.lastError
    }
}

struct DomainEmailsView: Encodable {
    let nameScope: String
    let baseEmails: [String]
    let whoisEmails: [String]
    let dnsTxtEmails: [String]
}

struct OutboxMessageView: Encodable {
    let id: Int
    let to: String
    let subject: String
    let body: String
    let orderId: Int?
    let domainId: Int?
    let dateCreated: String
    let sentAt: String?
    let sendError: String?
    let followedAt: String?

    init(_ email: DCVEmail) {
        id = email.id
        to = email.recipient
        subject = email.subject
        body = email.body
        orderId = email.orderID
        domainId = email.domainID
        dateCreated = CertCentralFormat.timestamp(email.dateCreated)
        sentAt = email.sentAt.map(CertCentralFormat.timestamp)
        sendError = email.sendError
        followedAt = email.followedAt.map(CertCentralFormat.timestamp)
    }
}
