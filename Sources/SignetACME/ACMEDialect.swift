import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// ACME (RFC 8555) as Signet's third front end, under `/acme`: accounts bound to a container by
/// External Account Binding, orders opened before their CSR, challenges checked by the validation
/// module, finalization through the RA. docs/acme.md lists every endpoint and problem type.
public struct ACMEDialect: Dialect {
    public struct Settings: Sendable {
        /// The server's base URL as clients reach it (`--public-url`): every ACME URL starts there.
        public var baseURL: String
        /// Whether new accounts need an External Account Binding (on by default).
        public var externalAccountRequired = true
        /// The issuer domain CAA records name (`--caa-identity`).
        public var caaIdentity: String
        /// The CertCentral TLS products offered as profiles of their own (`--acme-products`).
        public var productProfiles: [String] = []

        public init(baseURL: String, caaIdentity: String, productProfiles: [String] = []) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.caaIdentity = caaIdentity
            self.productProfiles = productProfiles
        }
    }

    public let origin = OrderOrigin.acme
    public let pathPrefix: [PathComponent] = ["acme"]
    let authority: ACMEAuthority
    let settings: Settings
    let nonces = NoncePool()
    let accountKeys = AccountKeyCache()
    let logger = Logger(label: "signet.acme")

    public init(authority: ACMEAuthority, settings: Settings) {
        self.authority = authority
        self.settings = settings
    }

    /// The profiles the directory lists and `newOrder` accepts.
    var profiles: [ACMEProfile] { ACMEProfile.offered(products: settings.productProfiles) }

    public func register(on routes: any RoutesBuilder) throws {
        routes.get("directory", use: directory)
        routes.on(.HEAD, "new-nonce", use: newNonce)
        routes.get("new-nonce", use: newNonce)
        routes.post("new-account", use: newAccount)
        routes.post("account", ":account_id", use: updateAccount)
        routes.post("account", ":account_id", "orders", use: accountOrders)
        routes.post("key-change", use: keyChange)
        routes.post("new-order", use: newOrder)
        routes.post("order", ":order_id", use: order)
        routes.post("order", ":order_id", "finalize", use: finalize)
        routes.post("authz", ":order_id", ":name", use: authorization)
        routes.post("chall", ":order_id", ":name", ":type", use: challenge)
        routes.post("cert", ":certificate_id", use: certificate)
        routes.post("cert", ":certificate_id", ":chain", use: certificate)
        routes.post("revoke-cert", use: revokeCertificate)
        routes.get("renewal-info", ":certificate", use: renewalInfo)
    }

    /// Withdraws and credits back the orders that expired without a CSR.
    public func backgroundPass() async {
        do {
            let withdrawn = try await authority.withdrawExpiredOrders()
            if withdrawn > 0 { logger.info("withdrew \(withdrawn) expired ACME order(s) and credited them back") }
        } catch {
            logger.warning("withdrawing expired ACME orders failed: \(error)")
        }
    }

    public func response(for error: any Error, on request: Request) -> Response {
        let problem = ACMEProblem.from(error)
        let response = Response(status: problem.status, body: .init(data: Data(problem.json)))
        response.headers.replaceOrAdd(name: .contentType, value: "application/problem+json")
        if let fault = error as? InjectedFault, let seconds = fault.retryAfter {
            response.headers.replaceOrAdd(name: "Retry-After", value: String(seconds))
        } else if problem.status == .serviceUnavailable || problem.status == .tooManyRequests {
            response.headers.replaceOrAdd(name: "Retry-After", value: "5")
        }
        decorate(response)
        return response
    }

    // MARK: URLs

    var base: String { settings.baseURL + "/acme" }
    func url(_ path: String) -> String { base + "/" + path }
    func accountURL(_ id: Int) -> String { url("account/\(id)") }
    func orderURL(_ id: Int) -> String { url("order/\(id)") }
    func authorizationURL(order: Int, name: String) -> String { url("authz/\(order)/\(Base64URL.encode(Array(name.utf8)))") }
    func challengeURL(order: Int, name: String, type: String) -> String {
        url("chall/\(order)/\(Base64URL.encode(Array(name.utf8)))/\(type)")
    }
    func certificateURL(_ id: Int) -> String { url("cert/\(id)") }

    /// Every answer carries a fresh nonce and the directory's link (RFC 8555 6.5, 7.1).
    func decorate(_ response: Response) {
        response.headers.replaceOrAdd(name: "Replay-Nonce", value: nonces.issue())
        response.headers.add(name: .link, value: "<\(url("directory"))>;rel=\"index\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
    }

    func json(_ object: [String: Any], status: HTTPResponseStatus = .ok, location: String? = nil) -> Response {
        var writer = JSONWriter(capacity: 1024)
        writer.value(object)
        let response = Response(status: status, body: .init(data: Data(writer.bytes)))
        response.headers.replaceOrAdd(name: .contentType, value: "application/json")
        if let location { response.headers.replaceOrAdd(name: .location, value: location) }
        decorate(response)
        return response
    }

    // MARK: authentication

    /// A POST's JWS, checked: its URL is the request's, its nonce was given and is used once, and
    /// its signature verifies under the account's key (`kid`) or, where `allowingKey`, the `jwk`.
    /// Returns the account for a `kid` request.
    func authenticate(_ request: Request, allowingKey: Bool = false) async throws -> (JWS, ACMEAccount?) {
        guard Self.isJOSE(request.headers.first(name: .contentType)) else {
            throw ACMEProblem("malformed", "requests carry Content-Type application/jose+json", .unsupportedMediaType)
        }
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        let jws = try JWS.parse(body)
        guard jws.url == requestURL(request) else {
            throw ACMEProblem.unauthorized("the JWS 'url' is \(jws.url), not this request's URL")
        }
        guard let nonce = jws.nonce, nonces.consume(nonce) else {
            throw ACMEProblem.badNonce("the nonce is unknown, used or expired; retry with this answer's Replay-Nonce")
        }
        switch jws.signer {
        case .key(let key, _):
            guard allowingKey else { throw ACMEProblem.malformed("this request is signed with the account's key ('kid')") }
            guard jws.isSigned(by: key) else { throw ACMEProblem.malformed("the JWS signature does not verify") }
            return (jws, nil)
        case .account(let kid):
            guard kid.hasPrefix(url("account/")), let id = Int(kid.dropFirst(url("account/").count)),
                let account = try await authority.account(id: id)
            else { throw ACMEProblem.accountDoesNotExist("no account is \(kid)") }
            guard account.status == .valid else {
                throw ACMEProblem.unauthorized("the account is \(account.status.rawValue)")
            }
            guard let key = accountKeys.key(account: account.id, json: account.jwkJSON), jws.isSigned(by: key)
            else { throw ACMEProblem.malformed("the JWS signature does not verify under the account's key") }
            return (jws, account)
        }
    }

    /// The account a `kid` request came from (refused for a `jwk` one).
    func account(of request: Request) async throws -> (JWS, ACMEAccount) {
        let (jws, account) = try await authenticate(request)
        guard let account else { throw ACMEProblem.malformed("sign this request with the account's key ('kid')") }
        request.credentialID = "acme-account-\(account.id)"
        return (jws, account)
    }

    /// Whether a Content-Type is `application/jose+json` (any case, parameters allowed), read from
    /// the header's bytes: Vapor's media-type parser was 1.5% of an ACME flow.
    static func isJOSE(_ contentType: String?) -> Bool {
        guard let value = contentType?.utf8.drop(while: { $0 == UInt8(ascii: " ") }) else { return false }
        let expected = "application/jose+json".utf8
        guard value.count >= expected.count,
            zip(value, expected).allSatisfy({ (65...90).contains($0) ? $0 | 0x20 == $1 : $0 == $1 })
        else {
            return false
        }
        let rest = value.dropFirst(expected.count).drop(while: { $0 == UInt8(ascii: " ") })
        return rest.isEmpty || rest.first == UInt8(ascii: ";")
    }

    /// The URL of the resource a request reached, as ACME's URLs spell it: the route's components
    /// with the parameters it matched. A JWS signed for it names this resource, whatever escaping
    /// the request line used; and it is cheaper than Vapor's `URI.path`, which re-encodes each time.
    func requestURL(_ request: Request) -> String {
        guard let route = request.route else { return settings.baseURL + request.url.path }
        var url = settings.baseURL
        for component in route.path {
            url += "/"
            switch component {
            case .constant(let text): url += text
            case .parameter(let name): url += request.parameters.get(name) ?? ""
            case .anything, .catchall: return settings.baseURL + request.url.path
            }
        }
        return url
    }

    func intParameter(_ request: Request, _ name: String) throws -> Int {
        guard let value = request.parameters.get(name).flatMap(Int.init), value > 0 else {
            throw ACMEProblem.notFound("no such resource")
        }
        return value
    }
}
