import Crypto
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import Synchronization

/// A request body in the flattened JWS JSON serialization (RFC 7515 7.2.2) that ACME requires
/// (RFC 8555 6.2): one signature, a protected header with `alg`, `nonce`, `url` and exactly one
/// of `jwk` and `kid`, no unprotected header, no unencoded payload. Read before anything else.
struct JWS: Sendable {
    enum Signer: Sendable {
        case key(JWK, json: [String: JSONValue])
        case account(url: String)
    }

    let algorithm: String
    let nonce: String?
    let url: String
    let signer: Signer
    /// The payload's bytes; empty for POST-as-GET.
    let payload: [UInt8]
    let signingInput: [UInt8]
    let signature: [UInt8]
    let header: [String: JSONValue]

    /// Why a body is not an acceptable JWS, as the problem it becomes.
    static func parse(_ body: [UInt8], requireNonce: Bool = true) throws(ACMEProblem) -> JWS {
        guard body.count <= 64 * 1024, case .object(let fields)? = JSONValue.parse(body) else {
            throw .malformed("the body is not a flattened JWS JSON object")
        }
        guard fields["header"] == nil, fields["signatures"] == nil else {
            throw .malformed("a JWS here has one signature and no unprotected header (RFC 8555 6.2)")
        }
        guard case .string(let protectedText)? = fields["protected"], case .string(let payloadText)? = fields["payload"],
            case .string(let signatureText)? = fields["signature"]
        else { throw .malformed("the JWS needs 'protected', 'payload' and 'signature' strings") }
        guard let protectedBytes = Base64URL.decode(protectedText), case .object(let header)? = JSONValue.parse(protectedBytes)
        else { throw .malformed("the protected header is not base64url JSON") }
        guard let payload = payloadText.isEmpty ? [] : Base64URL.decode(payloadText) else {
            throw .malformed("the payload is not base64url")
        }
        guard let signature = Base64URL.decode(signatureText), !signature.isEmpty else {
            throw .malformed("the signature is not base64url")
        }
        guard case .string(let algorithm)? = header["alg"] else { throw .malformed("the protected header has no 'alg'") }
        guard JWK.algorithms.contains(algorithm) else {
            throw .badSignatureAlgorithm("'\(algorithm)' is not accepted; use ES256, ES384, RS256 or EdDSA")
        }
        if case .bool(false)? = header["b64"] { throw .malformed("an unencoded payload is not allowed (RFC 8555 6.2)") }
        if header["crit"] != nil { throw .malformed("no critical header extension is understood") }
        guard case .string(let url)? = header["url"] else { throw .unauthorized("the protected header has no 'url'") }
        var nonce: String?
        if case .string(let value)? = header["nonce"] { nonce = value }
        if requireNonce && nonce == nil { throw .badNonce("the protected header has no 'nonce'") }
        let signer: Signer
        switch (header["jwk"], header["kid"]) {
        case (.object(let members)?, nil):
            do {
                signer = .key(try JWK(members), json: members)
            } catch {
                throw .badPublicKey("\(error)")
            }
        case (nil, .string(let kid)?): signer = .account(url: kid)
        default: throw .malformed("the protected header names exactly one of 'jwk' and 'kid'")
        }
        return JWS(
            algorithm: algorithm, nonce: nonce, url: url, signer: signer, payload: payload,
            signingInput: Array("\(protectedText).\(payloadText)".utf8), signature: signature, header: header)
    }

    /// Whether the signature verifies under `key`.
    func isSigned(by key: JWK) -> Bool { key.verifies(signature, over: signingInput, algorithm: algorithm) }

    /// The payload as a JSON object (`{}` for POST-as-GET is the caller's to decide).
    func object() throws(ACMEProblem) -> [String: JSONValue] {
        guard case .object(let fields)? = JSONValue.parse(payload) else { throw .malformed("the payload is not a JSON object") }
        return fields
    }

    var isPostAsGet: Bool { payload.isEmpty }
}

/// Replay-Nonce values (RFC 8555 6.5): random, single-use, and forgotten after an hour or when
/// too many wait. Kept in memory: a nonce another instance gave out is answered `badNonce`,
/// which clients retry with the fresh nonce of that answer.
final class NoncePool: Sendable {
    private let state = Mutex<[String: Date]>([:])
    private let lifetime: TimeInterval = 3600
    private let capacity = 100_000

    func issue(now: Date = Date()) -> String {
        let nonce = Base64URL.encode(SecureRandom.bytes(18))
        state.withLock { nonces in
            if nonces.count >= capacity { nonces = nonces.filter { $0.value > now } }
            if nonces.count >= capacity, let oldest = nonces.min(by: { $0.value < $1.value }) { nonces[oldest.key] = nil }
            nonces[nonce] = now.addingTimeInterval(lifetime)
        }
        return nonce
    }

    /// Uses `nonce` once; `false` when it was never given, was used, or expired.
    func consume(_ nonce: String, now: Date = Date()) -> Bool {
        state.withLock { nonces in
            guard let expires = nonces.removeValue(forKey: nonce) else { return false }
            return expires > now
        }
    }
}
