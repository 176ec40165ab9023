import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import SignetValidation
import Vapor

/// The test double's workflow operations (docs/test-double.md): what a CA's staff and its
/// validation would do, on demand, so that a suite reaches every state of an order.
struct WorkflowRoutes: RouteCollection {
    let registration: RegistrationAuthority

    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("test-double").grouped(AdministratorOnly())
        api.post("approvals", ":request_id", use: decide)
        api.post("orders", ":order_id", "dcv", use: markDCV)
        api.post("orders", ":order_id", "revoke", use: revoke)
        api.post("domains", ":name", "expire", use: expireValidation)
        api.put("balance", use: setBalance)
        api.get("issuance", use: issuance)
        api.put("issuance", use: setIssuance)
    }

    /// `{"decision": "approve"|"reject", "comment": …}` on a pending approval request.
    func decide(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        guard let id = request.parameters.get("request_id").flatMap(Int.init),
            let decision = body.string("decision"), ["approve", "reject"].contains(decision)
        else {
            throw Abort(.badRequest, reason: "POST /test-double/approvals/{id} with {\"decision\": \"approve\" or \"reject\"}")
        }
        try await registration.decide(
            requestID: id, approve: decision == "approve", comment: body.string("comment"), by: try request.administrator())
        _ = try await registration.advanceApprovedCertificates()
        return Response(status: .noContent)
    }

    /// `{"status": "valid"|"failed", "names": [...], "detail": …}`: the order's names (all that
    /// wait, unless named) pass or fail their validation now; what becomes ready issues at once.
    func markDCV(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        guard let orderID = request.parameters.get("order_id").flatMap(Int.init),
            let status = body.string("status"), ["valid", "failed"].contains(status)
        else { throw Abort(.badRequest, reason: "POST /test-double/orders/{id}/dcv with {\"status\": \"valid\" or \"failed\"}") }
        guard let order = try await registration.reader.read({ try $0.order(id: orderID) }) else {
            throw Abort(.notFound, reason: "no order \(orderID)")
        }
        let all = DomainControl.validationNames(of: order.names, isTLS: order.product?.isTLS ?? true)
        let asked = body.strings("names") ?? all
        guard !asked.isEmpty, asked.allSatisfy(all.contains) else {
            throw Abort(.badRequest, reason: "'names' are among the order's names: \(all.joined(separator: ", "))")
        }
        let method = order.options.dcvMethod ?? DCVMethod.dnsTXTToken.rawValue
        let detail = body.string("detail") ?? "failed on the test double's word"
        let results = asked.map { name in
            DomainControl.NameResult(
                name: name, method: method,
                outcome: status == "valid" ? .passed(domain: name) : .failed(DCVFailure(.tokenMismatch, detail)))
        }
        try await registration.domainControl.record(results, orderID: orderID, at: registration.clock.now())
        _ = try await registration.advanceApprovedCertificates()
        return Response(status: .noContent)
    }

    /// The name's current validation (in every container) ends now, as if its reuse period had
    /// run out: the next order, reissue or ACME authorization for it validates again.
    func expireValidation(_ request: Request) async throws -> Response {
        // Stored names are lower case without a trailing dot (public and private names alike).
        let name = (request.parameters.get("name") ?? "").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        guard !name.isEmpty, name.utf8.count <= 253 else {
            throw Abort(.badRequest, reason: "POST /test-double/domains/{name}/expire names a domain")
        }
        let ended = try await request.signet.administration.expireDomainValidations(name: name)
        guard ended > 0 else { throw Abort(.notFound, reason: "no current validation of \(name)") }
        return try ManagementRoutes.json(["name": name, "expired": ended])
    }

    /// `{"reason": "keyCompromise"}`: the CA revokes the order's current certificate at once.
    func revoke(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        guard let orderID = request.parameters.get("order_id").flatMap(Int.init) else {
            throw Abort(.badRequest, reason: "an order id")
        }
        let reason =
            try body.string("reason").map {
                guard let reason = RevocationReason(clientValue: $0) else {
                    throw Abort(.badRequest, reason: "'reason' is one of \(RevocationReason.allCases.map(\.rawValue))")
                }
                return reason
            } ?? .unspecified
        let administrator = try request.administrator()
        let revoked = try await registration.revokeAtOnce(
            orderID: orderID, reason: reason, processorID: administrator.user.id)
        guard revoked else { throw Abort(.conflict, reason: "order \(orderID) has no issued certificate to revoke") }
        return Response(status: .noContent)
    }

    /// `{"balance": "1000.00"}`: the account's balance becomes that sum (one ledger adjustment).
    func setBalance(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        guard let text = body.string("balance"), let target = Money(decimal: text), target.cents >= 0 else {
            throw Abort(.badRequest, reason: "'balance' is a sum such as \"1000.00\", not negative")
        }
        let balance = try await request.signet.administration.setBalance(target)
        return try ManagementRoutes.json(["balance": balance.balance.description])
    }

    func issuance(_ request: Request) async throws -> Response {
        try ManagementRoutes.json([
            "delay_seconds": registration.pace.secondsAfterRequest, "polls": registration.pace.pollsBeforeIssue,
        ])
    }

    /// `{"delay_seconds": N, "polls": M}`: a certificate is signed no sooner than N seconds after
    /// it was requested, and not before the client has read its order M times (each answers
    /// `pending`, as CertCentral's often do); both 0 sign at once. Either may be left out.
    func setIssuance(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        let delay = body.number("delay_seconds")
        let polls = body.number("polls")
        guard delay != nil || polls != nil, delay.map({ (0...86_400).contains($0) }) ?? true,
            polls.map({ (0...1_000).contains($0) && $0.rounded() == $0 }) ?? true
        else { throw Abort(.badRequest, reason: "'delay_seconds' is 0 to 86400, 'polls' a whole number 0 to 1000") }
        if let delay { registration.pace.secondsAfterRequest = delay }
        if let polls { registration.pace.pollsBeforeIssue = Int(polls) }
        return try await issuance(request)
    }
}
