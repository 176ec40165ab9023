import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import Vapor
import X509

/// Orders, authorizations, challenges, finalization, certificates and revocation (RFC 8555 7.4–7.6).
extension ACMEDialect {
    /// `newOrder`: DNS and IP identifiers (RFC 8738), opened as an order of the account's container.
    func newOrder(_ request: Request) async throws -> Response {
        let (jws, account) = try await self.account(of: request)
        let payload = try jws.object()
        guard case .array(let items)? = payload["identifiers"], !items.isEmpty, items.count <= 100 else {
            throw ACMEProblem.malformed("an order names 1 to 100 identifiers")
        }
        var names: [String] = []
        for item in items {
            guard case .object(let identifier) = item, case .string(let type)? = identifier["type"],
                case .string(let value)? = identifier["value"]
            else { throw ACMEProblem.malformed("an identifier is {\"type\", \"value\"}") }
            switch type {
            case "dns":
                names.append(value.lowercased())
            case "ip":
                guard let address = IPAddress(identifier: value.lowercased()) else {
                    throw ACMEProblem("rejectedIdentifier", "'\(value)' is not an IP address as RFC 8738 writes one")
                }
                names.append(address.description)
            default:
                throw ACMEProblem("unsupportedIdentifier", "identifiers are of type dns or ip, not \(type)")
            }
        }
        if payload["notBefore"] != nil || payload["notAfter"] != nil {
            throw ACMEProblem.malformed("notBefore and notAfter are not supported: the profile decides the validity")
        }
        var profile = ACMEProfile.default
        if let asked = payload["profile"] {
            guard case .string(let name) = asked, let known = profiles.first(where: { $0.name == name }) else {
                throw ACMEProblem("invalidProfile", "the profiles are \(profiles.map(\.name).joined(separator: ", "))")
            }
            profile = known
        }
        var replaced: ACMERenewalTarget?
        if let asked = payload["replaces"] {
            guard case .string(let identifier) = asked, let target = try await authority.renewalTarget(identifier) else {
                throw ACMEProblem.malformed("'replaces' names no certificate of this CA (RFC 9773 certificate identifier)")
            }
            replaced = target
        }
        let state: ACMEOrderState
        do {
            state = try await authority.newOrder(
                identifiers: names, account: account, profile: profile.name, product: profile.productNameID,
                certificateDays: profile.certificateDays, replacing: replaced)
        } catch WorkflowError.orderRenewedAlready(let id, _) {
            throw ACMEProblem("alreadyReplaced", "the certificate of order \(id) was replaced already", .conflict)
        } catch WorkflowError.orderNotEligibleForRenewal(_, let reason) {
            throw ACMEProblem.malformed("the certificate cannot be replaced: \(reason)")
        }
        return json(orderJSON(state), status: .created, location: orderURL(state.order.id))
    }

    /// RFC 9773: when to renew a certificate (`Retry-After`: ask again in six hours).
    func renewalInfo(_ request: Request) async throws -> Response {
        guard let identifier = request.parameters.get("certificate"),
            let target = try await authority.renewalTarget(identifier)
        else { throw ACMEProblem.notFound("no certificate of this CA has that identifier") }
        let window = target.suggestedWindow(now: Date())
        let response = json([
            "suggestedWindow": ["start": APITime.timestamp(window.start), "end": APITime.timestamp(window.end)]
        ])
        response.headers.replaceOrAdd(name: "Retry-After", value: "21600")
        return response
    }

    func order(_ request: Request) async throws -> Response {
        let (_, account) = try await self.account(of: request)
        let state = try await authority.orderState(orderID: try intParameter(request, "order_id"), account: account)
        return orderResponse(state)
    }

    func orderResponse(_ state: ACMEOrderState) -> Response {
        let response = json(orderJSON(state), location: orderURL(state.order.id))
        if state.status == .processing { response.headers.replaceOrAdd(name: "Retry-After", value: "3") }
        return response
    }

    func orderJSON(_ state: ACMEOrderState) -> [String: Any] {
        let order = state.order
        var object: [String: Any] = [
            "status": state.status.rawValue,
            "expires": APITime.timestamp(state.expires),
            "identifiers": state.identifiers.map { Self.identifierJSON($0.name, keepWildcard: true) },
            "authorizations": state.identifiers.map { authorizationURL(order: order.id, name: $0.name) },
            "finalize": orderURL(order.id) + "/finalize",
            "profile": ACMEProfile.name(of: order, recorded: state.profile),
        ]
        if state.status == .valid, let certificate = state.certificate, certificate.issuance != nil {
            object["certificate"] = certificateURL(certificate.id)
        }
        if state.status == .invalid { object["error"] = Self.orderProblem(state) }
        return object
    }

    /// Why an order is invalid: the failed challenge's problem, else what ended it.
    static func orderProblem(_ state: ACMEOrderState) -> Any {
        if let error = state.identifiers.lazy.flatMap(\.challenges).compactMap(\.errorJSON).first,
            let parsed = JSONValue.parse(Array(error.utf8))
        {
            return parsed
        }
        var kind = "malformed"
        let detail: String
        if let ended = state.identifiers.first(where: { $0.status == .deactivated || $0.status == .expired }) {
            detail = "the authorization of \(ended.name) is \(ended.status.rawValue)"
        } else if state.order.status == .rejected {
            kind = "unauthorized"
            detail = "an administrator rejected the order" + (state.endReason.map { ": \($0)" } ?? "")
        } else if state.order.status == .pending || state.order.status == .needsApproval {
            detail = "the order expired before it was finalized"
        } else {
            detail = "the order was \(state.order.status.rawValue)" + (state.endReason.map { ": \($0)" } ?? "")
        }
        return ["type": "urn:ietf:params:acme:error:\(kind)", "detail": detail]
    }

    static func identifierJSON(_ name: String, keepWildcard: Bool) -> [String: String] {
        if CertificateNames.isIPAddress(name) { return ["type": "ip", "value": name] }
        return ["type": "dns", "value": keepWildcard || !name.hasPrefix("*.") ? name : String(name.dropFirst(2))]
    }

    /// The identifier an authorization or challenge URL names, and its order's state.
    func identifier(_ request: Request, account: ACMEAccount) async throws -> (ACMEOrderState, ACMEIdentifierState) {
        let orderID = try intParameter(request, "order_id")
        guard let encoded = request.parameters.get("name"), let bytes = Base64URL.decode(encoded) else {
            throw ACMEProblem.notFound("no such authorization")
        }
        let name = String(decoding: bytes, as: UTF8.self)
        let state = try await authority.orderState(orderID: orderID, account: account)
        guard let identifier = state.identifiers.first(where: { $0.name == name }) else {
            throw ACMEProblem.notFound("no such authorization")
        }
        return (state, identifier)
    }

    func authorization(_ request: Request) async throws -> Response {
        let (jws, account) = try await self.account(of: request)
        let (state, identifier) = try await self.identifier(request, account: account)
        if !jws.isPostAsGet {
            guard case .string("deactivated")? = try jws.object()["status"] else {
                throw ACMEProblem.malformed("an authorization's status changes only to deactivated")
            }
            let updated = try await authority.deactivateAuthorization(
                orderID: state.order.id, name: identifier.name, account: account)
            let current = updated.identifiers.first { $0.name == identifier.name } ?? identifier
            return json(authorizationJSON(updated, current))
        }
        return json(authorizationJSON(state, identifier))
    }

    func authorizationJSON(_ state: ACMEOrderState, _ identifier: ACMEIdentifierState) -> [String: Any] {
        var object: [String: Any] = [
            "identifier": Self.identifierJSON(identifier.name, keepWildcard: false), "status": identifier.status.rawValue,
            "expires": APITime.timestamp(state.expires),
            "challenges": identifier.challenges.map { challengeJSON(state.order.id, $0) },
        ]
        if identifier.isWildcard { object["wildcard"] = true }
        return object
    }

    func challengeJSON(_ orderID: Int, _ challenge: ACMEChallenge) -> [String: Any] {
        var object: [String: Any] = [
            "type": challenge.type.rawValue,
            "url": challengeURL(order: orderID, name: challenge.name, type: challenge.type.rawValue),
            "status": challenge.status.rawValue, "token": challenge.token,
        ]
        if let validated = challenge.validatedAt, challenge.status == .valid {
            object["validated"] = APITime.timestamp(validated)
        }
        if challenge.type == .dnsPersist01 { object["issuer-domain-names"] = authority.issuerDomainNames }
        if let error = challenge.errorJSON, let parsed = JSONValue.parse(Array(error.utf8)) {
            object["error"] = parsed
        }
        return object
    }

    /// A client says a challenge is ready (RFC 8555 7.5.1): Signet checks it now, with the key
    /// authorization `token.thumbprint` of the account's key.
    func challenge(_ request: Request) async throws -> Response {
        let (jws, account) = try await self.account(of: request)
        let (state, identifier) = try await self.identifier(request, account: account)
        guard let type = request.parameters.get("type").flatMap(DCVMethod.init(rawValue:)), type.isACMEChallenge,
            let challenge = identifier.challenges.first(where: { $0.type == type })
        else { throw ACMEProblem.notFound("no such challenge") }
        var current = challenge
        if !jws.isPostAsGet {
            current = try await authority.respond(
                to: state, name: identifier.name, type: type,
                keyAuthorization: "\(challenge.token).\(account.thumbprint)", account: account)
        }
        let response = json(challengeJSON(state.order.id, current))
        let up = authorizationURL(order: state.order.id, name: identifier.name)
        response.headers.add(name: HTTPHeaders.Name.link, value: "<\(up)>;rel=\"up\"")
        return response
    }

    /// `finalize` with the CSR (base64url DER): issued within the request when nothing waits.
    func finalize(_ request: Request) async throws -> Response {
        let (jws, account) = try await self.account(of: request)
        guard case .string(let text)? = try jws.object()["csr"], let der = Base64URL.decode(text) else {
            throw ACMEProblem("badCSR", "'csr' is the base64url DER of a PKCS#10 request")
        }
        let state = try await authority.finalize(orderID: try intParameter(request, "order_id"), csrDER: der, account: account)
        return orderResponse(state)
    }

    /// The certificate and its issuing CA (`/1`: with the root too, the alternate chain).
    func certificate(_ request: Request) async throws -> Response {
        let (_, account) = try await self.account(of: request)
        let id = try intParameter(request, "certificate_id")
        let withRoot = request.parameters.get("chain") == "1"
        if let chain = request.parameters.get("chain"), chain != "1" { throw ACMEProblem.notFound("no such chain") }
        let (certificate, chain) = try await authority.certificate(id: id, account: account)
        guard let issuance = certificate.issuance else { throw ACMEProblem.notFound("the certificate is not issued") }
        let pems = [issuance.pem] + (withRoot ? chain : Array(chain.prefix(1))).map(\.pem)
        let response = Response(status: .ok, body: .init(string: pems.joined()))
        response.headers.replaceOrAdd(name: .contentType, value: "application/pem-certificate-chain")
        decorate(response)
        if !withRoot { response.headers.add(name: .link, value: "<\(certificateURL(id))/1>;rel=\"alternate\"") }
        return response
    }

    /// RFC 8555 7.6: by the account that ordered the certificate, or by the certificate's own key.
    func revokeCertificate(_ request: Request) async throws -> Response {
        let (jws, account) = try await authenticate(request, allowingKey: true)
        let payload = try jws.object()
        guard case .string(let text)? = payload["certificate"], let der = Base64URL.decode(text),
            let certificate = try? Certificate(derEncoded: der)
        else { throw ACMEProblem.malformed("'certificate' is the base64url DER of a certificate") }
        var reason = RevocationReason.unspecified
        if let value = payload["reason"] {
            guard case .number(let number) = value, let code = JSONValue.integer(number),
                let parsed = RevocationReason.allCases.first(where: { $0.code == code })
            else { throw ACMEProblem("badRevocationReason", "the reason is an RFC 5280 CRLReason code Signet accepts") }
            reason = parsed
        }
        if case .key(let key, _) = jws.signer, !key.matches(certificate.publicKey) {
            throw ACMEProblem.unauthorized("the JWS key is neither an account's nor the certificate's")
        }
        try await authority.revoke(certificateDER: der, reason: reason, account: account)
        let response = Response(status: .ok)
        decorate(response)
        return response
    }
}
