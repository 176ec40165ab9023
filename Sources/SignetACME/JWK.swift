import Crypto
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import Synchronization
import X509
import _CryptoExtras

/// A public JSON Web Key (RFC 7517) of a kind ACME accounts use: EC P-256 or P-384, RSA of 2048
/// bits or more, or Ed25519. Only the members that define the key are kept.
struct JWK: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case rsa(n: [UInt8], e: [UInt8])
        case ed25519(Curve25519.Signing.PublicKey)

        static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.p256(let a), .p256(let b)): return a.rawRepresentation == b.rawRepresentation
            case (.p384(let a), .p384(let b)): return a.rawRepresentation == b.rawRepresentation
            case (.rsa(let n1, let e1), .rsa(let n2, let e2)): return n1 == n2 && e1 == e2
            case (.ed25519(let a), .ed25519(let b)): return a.rawRepresentation == b.rawRepresentation
            default: return false
            }
        }
    }

    let kind: Kind

    /// Why a JWK is refused, for the `badPublicKey` problem.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads a key from its JSON members; private members (`d`, …) are refused outright.
    init(_ object: [String: JSONValue]) throws {
        func member(_ name: String) throws -> [UInt8] {
            guard case .string(let text)? = object[name], let bytes = Base64URL.decode(text), !bytes.isEmpty else {
                throw Refusal(description: "the key's '\(name)' is missing or not base64url")
            }
            return bytes
        }
        guard object["d"] == nil, object["p"] == nil else { throw Refusal(description: "a JWK here is a public key") }
        guard case .string(let kty)? = object["kty"] else { throw Refusal(description: "the key has no 'kty'") }
        let curve: String? = if case .string(let crv)? = object["crv"] { crv } else { nil }
        switch (kty, curve) {
        case ("EC", "P-256"?):
            let (x, y) = (try member("x"), try member("y"))
            guard x.count == 32, y.count == 32, let key = try? P256.Signing.PublicKey(rawRepresentation: x + y) else {
                throw Refusal(description: "not a P-256 point")
            }
            kind = .p256(key)
        case ("EC", "P-384"?):
            let (x, y) = (try member("x"), try member("y"))
            guard x.count == 48, y.count == 48, let key = try? P384.Signing.PublicKey(rawRepresentation: x + y) else {
                throw Refusal(description: "not a P-384 point")
            }
            kind = .p384(key)
        case ("RSA", _):
            let (n, e) = (try member("n"), try member("e"))
            guard let key = try? _RSA.Signing.PublicKey(n: n, e: e), key.keySizeInBits >= 2048, key.keySizeInBits <= 8192 else {
                throw Refusal(description: "an RSA account key has 2048 to 8192 bits")
            }
            kind = .rsa(n: Array(n.drop { $0 == 0 }), e: Array(e.drop { $0 == 0 }))
        case ("OKP", "Ed25519"?):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: try member("x")) else {
                throw Refusal(description: "not an Ed25519 key")
            }
            kind = .ed25519(key)
        default:
            throw Refusal(description: "keys of type \(kty)\(curve.map { " (\($0))" } ?? "") are not accepted")
        }
    }

    /// The required members in lexicographic order (RFC 7638 3.2): what the thumbprint hashes and
    /// what Signet stores.
    var canonicalJSON: String {
        switch kind {
        case .p256(let key): return Self.ec("P-256", key.rawRepresentation)
        case .p384(let key): return Self.ec("P-384", key.rawRepresentation)
        case .rsa(let n, let e): return #"{"e":"\#(Base64URL.encode(e))","kty":"RSA","n":"\#(Base64URL.encode(n))"}"#
        case .ed25519(let key): return #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(key.rawRepresentation))"}"#
        }
    }

    private static func ec(_ curve: String, _ raw: Data) -> String {
        let half = raw.count / 2
        return
            #"{"crv":"\#(curve)","kty":"EC","x":"\#(Base64URL.encode(raw.prefix(half)))","y":"\#(Base64URL.encode(raw.suffix(half)))"}"#
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of the canonical members.
    var thumbprint: String { Base64URL.encode(Array(SHA256.hash(data: Data(canonicalJSON.utf8)))) }

    /// Whether `signature` over `input` verifies under this key with `algorithm` (RFC 7518 3.1);
    /// the algorithm must be the key's own.
    func verifies(_ signature: [UInt8], over input: [UInt8], algorithm: String) -> Bool {
        switch (kind, algorithm) {
        case (.p256(let key), "ES256"):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: input)
        case (.p384(let key), "ES384"):
            guard let parsed = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: input)
        case (.rsa(let n, let e), "RS256"):
            guard let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: input),
                padding: .insecurePKCS1v1_5)
        case (.ed25519(let key), "EdDSA"):
            return key.isValidSignature(signature, for: input)
        default:
            return false
        }
    }

    /// The algorithms ACME accounts may sign with.
    static let algorithms: Set<String> = ["ES256", "ES384", "RS256", "EdDSA"]

    /// Whether this key is a certificate's public key (revocation by the certificate's key).
    func matches(_ publicKey: Certificate.PublicKey) -> Bool {
        switch kind {
        case .p256(let key): return Certificate.PublicKey(key) == publicKey
        case .p384(let key): return Certificate.PublicKey(key) == publicKey
        case .rsa(let n, let e):
            return (try? _RSA.Signing.PublicKey(n: n, e: e)).map { Certificate.PublicKey($0) == publicKey } ?? false
        case .ed25519: return false
        }
    }
}

/// Account keys as parsed from their stored JWK, so that a request signed with `kid` does not
/// parse and check the same public key again. An entry is used only while the account's stored
/// JWK is the same text (a key change replaces it); the cache forgets everything when full.
final class AccountKeyCache: Sendable {
    private let keys = Mutex<[Int: (json: String, key: JWK)]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// The key of the account `id` whose stored JWK is `json`; `nil` when that text is not a key.
    func key(account id: Int, json: String) -> JWK? {
        if let known = keys.withLock({ $0[id] }), known.json == json { return known.key }
        guard case .object(let members)? = JSONValue.parse(Array(json.utf8)), let key = try? JWK(members) else { return nil }
        keys.withLock { keys in
            if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
            keys[id] = (json, key)
        }
        return key
    }
}
