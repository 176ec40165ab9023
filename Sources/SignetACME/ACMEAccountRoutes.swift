import Crypto
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// The directory, nonces, accounts and key changes (RFC 8555 7.1.1, 7.2, 7.3).
extension ACMEDialect {
    func directory(_ request: Request) async throws -> Response {
        let meta: [String: Any] = [
            "externalAccountRequired": settings.externalAccountRequired, "caaIdentities": [settings.caaIdentity],
            "website": settings.baseURL,
            "profiles": Dictionary(profiles.map { ($0.name, $0.summary) }) { first, _ in first },
        ]
        let response = json([
            "newNonce": url("new-nonce"), "newAccount": url("new-account"), "newOrder": url("new-order"),
            "revokeCert": url("revoke-cert"), "keyChange": url("key-change"), "renewalInfo": url("renewal-info"),
            "meta": meta,
        ])
        response.headers.remove(name: "Replay-Nonce")
        return response
    }

    func newNonce(_ request: Request) async throws -> Response {
        let response = Response(status: request.method == .HEAD ? .ok : .noContent)
        decorate(response)
        return response
    }

    /// `newAccount`: registers the key of the JWS, bound to a container by its EAB, or finds the
    /// account that holds it (200 then, 201 for a new one).
    func newAccount(_ request: Request) async throws -> Response {
        let (jws, _) = try await authenticate(request, allowingKey: true)
        guard case .key(let key, _) = jws.signer else { throw ACMEProblem.malformed("newAccount is signed with 'jwk'") }
        let payload = try jws.object()
        if let existing = try await authority.account(thumbprint: key.thumbprint) {
            guard existing.status == .valid else {
                throw ACMEProblem.unauthorized("the account is \(existing.status.rawValue)")
            }
            return json(accountJSON(existing), location: accountURL(existing.id))
        }
        if case .bool(true)? = payload["onlyReturnExisting"] {
            throw ACMEProblem.accountDoesNotExist("no account exists with this key")
        }
        let contact = try Self.contacts(payload["contact"])
        guard let binding = payload["externalAccountBinding"] else {
            throw ACMEProblem.externalAccountRequired(
                "this server binds accounts to a container: ask its operator for a key id and HMAC key (signet acme eab create)")
        }
        let eab = try await externalAccountKey(binding, accountKey: key)
        let account = try await authority.register(
            jwkJSON: key.canonicalJSON, thumbprint: key.thumbprint, contact: contact, eab: eab)
        return json(accountJSON(account), status: .created, location: accountURL(account.id))
    }

    /// RFC 8555 7.3.4: the binding is a JWS by the EAB key (HS256, HS384 or HS512) over the account's
    /// own JWK, for this URL.
    func externalAccountKey(_ binding: JSONValue, accountKey: JWK) async throws -> ACMEExternalAccountKey {
        guard case .object(let fields) = binding, case .string(let protectedText)? = fields["protected"],
            case .string(let payloadText)? = fields["payload"], case .string(let signatureText)? = fields["signature"],
            let protectedBytes = Base64URL.decode(protectedText), case .object(let header)? = JSONValue.parse(protectedBytes),
            let payload = Base64URL.decode(payloadText), let signature = Base64URL.decode(signatureText)
        else { throw ACMEProblem.malformed("externalAccountBinding is not a flattened JWS") }
        guard case .string(let kid)? = header["kid"], case .string(let algorithm)? = header["alg"],
            header["nonce"] == nil, case .string(let boundURL)? = header["url"], boundURL == url("new-account")
        else { throw ACMEProblem.malformed("the binding's header needs 'alg', 'kid' and this 'url', and no 'nonce'") }
        guard case .object(let boundKey)? = JSONValue.parse(payload), let bound = try? JWK(boundKey), bound == accountKey else {
            throw ACMEProblem.malformed("the binding does not sign the account's key")
        }
        guard let (eab, secret) = try await authority.externalAccountKey(kid) else {
            throw ACMEProblem.unauthorized("the external account binding key '\(kid)' is unknown or used")
        }
        let input = Data("\(protectedText).\(payloadText)".utf8)
        let key = SymmetricKey(data: secret)
        let valid: Bool
        switch algorithm {
        case "HS256": valid = HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        case "HS384": valid = HMAC<SHA384>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        case "HS512": valid = HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        default: throw ACMEProblem.badSignatureAlgorithm("an external account binding is signed with HS256, HS384 or HS512")
        }
        guard valid else { throw ACMEProblem.unauthorized("the external account binding's MAC does not verify") }
        return eab
    }

    /// `mailto:` contacts with addresses one can write to (RFC 8555 7.3).
    static func contacts(_ value: JSONValue?) throws -> [String] {
        guard let value else { return [] }
        guard case .array(let items) = value, items.count <= 10 else {
            throw ACMEProblem.malformed("'contact' is a list of URLs")
        }
        return try items.map { item in
            guard case .string(let text) = item, text.hasPrefix("mailto:"),
                EmailAddress.isContactAddress(String(text.dropFirst("mailto:".count))), !text.contains(",")
            else { throw ACMEProblem("invalidContact", "contacts are mailto: URLs with one address each") }
            return text
        }
    }

    func accountJSON(_ account: ACMEAccount) -> [String: Any] {
        ["status": account.status.rawValue, "contact": account.contact, "orders": accountURL(account.id) + "/orders"]
    }

    /// An account's own URL: read it (POST-as-GET), change its contacts, or deactivate it.
    func updateAccount(_ request: Request) async throws -> Response {
        let (jws, account) = try await self.account(of: request)
        guard try intParameter(request, "account_id") == account.id else {
            throw ACMEProblem.unauthorized("an account may read and change only itself")
        }
        guard !jws.isPostAsGet else { return json(accountJSON(account), location: accountURL(account.id)) }
        let payload = try jws.object()
        var status = account.status
        var contact = account.contact
        if payload["contact"] != nil { contact = try Self.contacts(payload["contact"]) }
        if let asked = payload["status"] {
            guard case .string("deactivated") = asked else {
                throw ACMEProblem.malformed("an account's status changes only to deactivated")
            }
            status = .deactivated
        }
        try await authority.update(accountID: account.id, status: status, contact: contact)
        var updated = account
        (updated.status, updated.contact) = (status, contact)
        return json(accountJSON(updated), location: accountURL(account.id))
    }

    func accountOrders(_ request: Request) async throws -> Response {
        let (_, account) = try await self.account(of: request)
        guard try intParameter(request, "account_id") == account.id else {
            throw ACMEProblem.unauthorized("an account lists only its own orders")
        }
        let ids = try await authority.orderIDs(of: account)
        return json(["orders": ids.map(orderURL)])
    }

    /// RFC 8555 7.3.5: the outer JWS by the account, the inner by the new key, naming the account
    /// and its old key.
    func keyChange(_ request: Request) async throws -> Response {
        let (outer, account) = try await self.account(of: request)
        let inner = try JWS.parse(outer.payload, requireNonce: false)
        guard case .key(let newKey, _) = inner.signer, inner.isSigned(by: newKey) else {
            throw ACMEProblem.malformed("the inner JWS is signed by the new key, given as 'jwk'")
        }
        guard inner.url == outer.url, inner.nonce == nil else {
            throw ACMEProblem.malformed("the inner JWS has the outer 'url' and no 'nonce'")
        }
        let payload = try inner.object()
        guard case .string(let accountURL)? = payload["account"], accountURL == self.accountURL(account.id),
            case .object(let oldMembers)? = payload["oldKey"], let oldKey = try? JWK(oldMembers),
            oldKey.thumbprint == account.thumbprint
        else { throw ACMEProblem.malformed("the inner payload names this account and its current key") }
        do {
            try await authority.changeKey(accountID: account.id, thumbprint: newKey.thumbprint, jwkJSON: newKey.canonicalJSON)
        } catch ACMEError.conflict {
            let response = response(for: ACMEProblem("malformed", "another account holds the new key", .conflict), on: request)
            if let holder = try await authority.account(thumbprint: newKey.thumbprint) {
                response.headers.replaceOrAdd(name: .location, value: self.accountURL(holder.id))
            }
            return response
        }
        var updated = account
        updated.thumbprint = newKey.thumbprint
        return json(accountJSON(updated), location: self.accountURL(account.id))
    }
}
