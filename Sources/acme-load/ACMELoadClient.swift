import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SignetCore
import SignetHTTP

/// A minimal ACME client for measuring servers (RFC 8555 with ES256 account keys and External
/// Account Binding): only what one flow needs, and nothing shared between workers but the account.
final class ACMELoadClient: Sendable {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    struct Answer {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        /// The body's members, parsed once (SignetHTTP's parser: Foundation's `JSONSerialization`
        /// was a fifth of this client's CPU, which runs on the same cores as the server it measures).
        let json: [String: JSONValue]

        init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
            if case .object(let members)? = JSONValue.parse(body) { json = members } else { json = [:] }
        }

        func string(_ name: String) -> String? {
            guard case .string(let value)? = json[name] else { return nil }
            return value
        }
        var location: String? { headers.first(name: "Location") }
    }

    let http: LoadHTTP
    let key: P256.Signing.PrivateKey
    /// The directory's URLs by name.
    let directory: [String: String]
    let accountURL: String

    /// The account key's JWK, members in RFC 7638 order (its thumbprint is over exactly this).
    var jwk: String {
        let raw = key.publicKey.x963Representation
        let x = Base64URL.encode(raw[1...32])
        let y = Base64URL.encode(raw[33...64])
        return #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
    }

    /// The key authorization's second half (RFC 7638).
    var thumbprint: String { Base64URL.encode(Array(SHA256.hash(data: Data(jwk.utf8)))) }

    private init(http: LoadHTTP, directory: [String: String], accountURL: String, key: P256.Signing.PrivateKey) {
        self.http = http
        self.directory = directory
        self.accountURL = accountURL
        self.key = key
    }

    /// Reads the directory and registers an account bound by `eabKeyID`/`eabHMAC`.
    static func register(
        directoryURL: String, eabKeyID: String, eabHMAC: String, http: LoadHTTP
    ) async throws
        -> ACMELoadClient
    {
        let directory = try await get(directoryURL, http: http).json.compactMapValues { value -> String? in
            guard case .string(let url) = value else { return nil }
            return url
        }
        guard let newAccount = directory["newAccount"], let hmac = Base64URL.decode(eabHMAC) else {
            throw Problem(description: "the directory has no newAccount, or the HMAC key is not base64url")
        }
        let key = P256.Signing.PrivateKey()
        let unbound = ACMELoadClient(http: http, directory: directory, accountURL: "", key: key)
        let binding = try unbound.macJWS(payload: unbound.jwk, keyID: eabKeyID, url: newAccount, hmac: hmac)
        var nonce = try await unbound.freshNonce()
        let created = try await unbound.post(
            newAccount, payload: #"{"termsOfServiceAgreed":true,"externalAccountBinding":\#(binding)}"#, nonce: &nonce,
            useKeyID: false)
        guard created.status == 201 || created.status == 200, let location = created.location else {
            throw Problem(description: "newAccount: \(created.status) \(String(decoding: created.body, as: UTF8.self))")
        }
        return ACMELoadClient(http: http, directory: directory, accountURL: location, key: key)
    }

    func freshNonce() async throws -> String {
        guard let url = directory["newNonce"] else { throw Problem(description: "no newNonce") }
        // GET rather than HEAD (RFC 8555 7.2 allows both): the answer has no body either way.
        let response = try await http.execute(.GET, url)
        guard let nonce = response.headers.first(name: "Replay-Nonce") else { throw Problem(description: "no nonce") }
        return nonce
    }

    /// POSTs a JWS of `payload` (empty: POST-as-GET) and keeps the answer's nonce for the next one.
    func post(_ url: String, payload: String, nonce: inout String, useKeyID: Bool = true) async throws -> Answer {
        for attempt in 0..<3 {
            let body = Array(try jws(payload: payload, url: url, nonce: nonce, useKeyID: useKeyID).utf8)
            let answer = try await http.execute(.POST, url, headers: ["Content-Type": "application/jose+json"], body: body)
            if let next = answer.headers.first(name: "Replay-Nonce") { nonce = next }
            // RFC 8555 6.5: a badNonce answer carries a fresh nonce to retry with.
            if answer.status == 400, attempt < 2, answer.string("type")?.hasSuffix(":badNonce") == true { continue }
            return answer
        }
        throw Problem(description: "badNonce three times")
    }

    private func jws(payload: String, url: String, nonce: String, useKeyID: Bool) throws -> String {
        let identity = useKeyID ? #""kid":"\#(accountURL)""# : #""jwk":\#(jwk)"#
        let protected = Base64URL.encode(Array(#"{"alg":"ES256",\#(identity),"nonce":"\#(nonce)","url":"\#(url)"}"#.utf8))
        let body = Base64URL.encode(Array(payload.utf8))
        let signature = try key.signature(for: Data("\(protected).\(body)".utf8)).rawRepresentation
        return #"{"protected":"\#(protected)","payload":"\#(body)","signature":"\#(Base64URL.encode(signature))"}"#
    }

    private func macJWS(payload: String, keyID: String, url: String, hmac: [UInt8]) throws -> String {
        let protected = Base64URL.encode(Array(#"{"alg":"HS256","kid":"\#(keyID)","url":"\#(url)"}"#.utf8))
        let body = Base64URL.encode(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(protected).\(body)".utf8), using: SymmetricKey(data: hmac))
        return #"{"protected":"\#(protected)","payload":"\#(body)","signature":"\#(Base64URL.encode(Array(mac)))"}"#
    }

    static func get(_ url: String, http: LoadHTTP) async throws -> Answer {
        try await http.execute(.GET, url)
    }
}
