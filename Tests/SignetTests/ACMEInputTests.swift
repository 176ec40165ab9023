import Crypto
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import Testing
import Vapor
import VaporTesting
import _CryptoExtras

@testable import SignetACME
@testable import SignetTestSupport

/// What ACME parses from a client (JWS, JWK, payloads): every malformed request is a 4xx problem
/// document, nothing is stored, and keys of each accepted kind verify.
@Suite("ACME input")
struct ACMEInputTests {
    static func b64(_ bytes: some Collection<UInt8>) -> String { Base64URL.encode(Array(bytes)) }
    static func b64(_ text: String) -> String { b64(Array(text.utf8)) }

    /// A flattened JWS of `payload` signed by a new P-256 key, with `header` merged into its protected header.
    static func jws(payload: String, header: [String: Any], key: P256.Signing.PrivateKey = .init()) throws -> String {
        let raw = key.publicKey.rawRepresentation
        var protected: [String: Any] = [
            "alg": "ES256", "nonce": "n", "url": "http://pki.signet-test.com/acme/new-account",
            "jwk": ["kty": "EC", "crv": "P-256", "x": b64(raw.prefix(32)), "y": b64(raw.suffix(32))],
        ]
        protected.merge(header) { $1 }
        let protectedText = b64(String(decoding: try JSONSerialization.data(withJSONObject: protected), as: UTF8.self))
        let payloadText = b64(payload)
        let signature = try key.signature(for: Data("\(protectedText).\(payloadText)".utf8)).rawRepresentation
        return #"{"protected":"\#(protectedText)","payload":"\#(payloadText)","signature":"\#(b64(signature))"}"#
    }

    @Test("Malformed, unsigned, replayed and oversized requests: a 4xx problem document each, nothing stored")
    func hostileRequests() async throws {
        try await withSignet { signet in
            let valid = try Self.jws(payload: "{}", header: [:])
            let cases: [(String, String)] = [
                ("empty", ""), ("not JSON", "{"), ("an array", "[]"), ("a number", "12"),
                ("unprotected header", #"{"protected":"e30","payload":"","signature":"AA","header":{}}"#),
                ("several signatures", #"{"signatures":[],"payload":""}"#),
                ("protected not base64", #"{"protected":"%%%","payload":"","signature":"AA"}"#),
                ("protected not JSON", #"{"protected":"\#(Self.b64("nope"))","payload":"","signature":"AA"}"#),
                ("payload not base64", #"{"protected":"e30","payload":"***","signature":"AA"}"#),
                ("alg none", try Self.jws(payload: "{}", header: ["alg": "none"])),
                ("alg HS256", try Self.jws(payload: "{}", header: ["alg": "HS256"])),
                ("no nonce", try Self.jws(payload: "{}", header: ["nonce": NSNull()])),
                ("kid and jwk", try Self.jws(payload: "{}", header: ["kid": "http://x/acme/account/1"])),
                (
                    "private key",
                    try Self.jws(payload: "{}", header: ["jwk": ["kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"]])
                ),
                (
                    "small RSA",
                    try Self.jws(
                        payload: "{}",
                        header: ["jwk": ["kty": "RSA", "n": Self.b64([UInt8](repeating: 0xC1, count: 128)), "e": "AQAB"]])
                ),
                (
                    "unknown curve",
                    try Self.jws(payload: "{}", header: ["jwk": ["kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"]])
                ),
                ("unencoded payload", try Self.jws(payload: "{}", header: ["b64": false])),
                ("critical extension", try Self.jws(payload: "{}", header: ["crit": ["x"]])),
                ("wrong url", try Self.jws(payload: "{}", header: ["url": "http://elsewhere/acme/new-account"])),
                ("unknown nonce", valid),
                ("oversized", #"{"protected":"\#(String(repeating: "A", count: 70_000))","payload":"","signature":"AA"}"#),
            ]
            for (label, body) in cases {
                for path in ["new-account", "new-order", "revoke-cert", "key-change", "order/1", "chall/1/eA/http-01"] {
                    var headers = HTTPHeaders()
                    headers.add(name: .contentType, value: "application/jose+json")
                    let response = try await signet.app.testing().performTest(
                        request: TestingHTTPRequest(
                            method: .POST, url: URI(string: "/acme/\(path)"), headers: headers, body: ByteBuffer(string: body)))
                    #expect((400..<500).contains(response.status.code), "\(label) on \(path): \(response.status)")
                    #expect(response.headers.contentType?.description == "application/problem+json", "\(label) on \(path)")
                    let problem =
                        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
                    #expect(
                        (problem?["type"] as? String)?.hasPrefix("urn:ietf:params:acme:error:") == true,
                        "\(label): \(String(describing: problem))")
                    #expect(response.headers.first(name: "Replay-Nonce") != nil, "every answer carries a nonce")
                }
            }
            var plain = HTTPHeaders()
            plain.add(name: .contentType, value: "application/json")
            let wrongType = try await signet.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .POST, url: URI(string: "/acme/new-account"), headers: plain, body: ByteBuffer(string: valid)))
            #expect(wrongType.status == .unsupportedMediaType)
            for accepted in ["application/jose+json", "Application/JOSE+JSON", " application/jose+json ; charset=utf-8"] {
                #expect(ACMEDialect.isJOSE(accepted), "\(accepted)")
            }
            for refused in [
                nil, "", "application/json", "application/jose+jsonx", "application/jose", "application\u{0F}jose+json",
            ] {
                #expect(!ACMEDialect.isJOSE(refused), "\(String(describing: refused))")
            }
            let stored = try await signet.store.read { try $0.acmeAccount(id: 1) }
            #expect(stored == nil, "nothing stored")
        }
    }

    @Test("Account keys of each accepted kind verify their own signatures and no other; thumbprints follow RFC 7638")
    func keys() throws {
        let p256 = P256.Signing.PrivateKey()
        let p384 = P384.Signing.PrivateKey()
        let ed = Curve25519.Signing.PrivateKey()
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let input = Array("header.payload".utf8)
        func jwk(_ members: [String: String]) throws -> JWK {
            try JWK(members.mapValues { JSONValue.string($0) })
        }
        let ecRaw = p256.publicKey.rawRepresentation
        let ec = try jwk(["kty": "EC", "crv": "P-256", "x": Self.b64(ecRaw.prefix(32)), "y": Self.b64(ecRaw.suffix(32))])
        #expect(ec.verifies(Array(try p256.signature(for: input).rawRepresentation), over: input, algorithm: "ES256"))
        #expect(!ec.verifies(Array(try p256.signature(for: input).rawRepresentation), over: input + [0], algorithm: "ES256"))
        #expect(!ec.verifies(Array(try p256.signature(for: input).rawRepresentation), over: input, algorithm: "ES384"))
        let raw384 = p384.publicKey.rawRepresentation
        let ec384 = try jwk(["kty": "EC", "crv": "P-384", "x": Self.b64(raw384.prefix(48)), "y": Self.b64(raw384.suffix(48))])
        #expect(ec384.verifies(Array(try p384.signature(for: input).rawRepresentation), over: input, algorithm: "ES384"))
        let okp = try jwk(["kty": "OKP", "crv": "Ed25519", "x": Self.b64(ed.publicKey.rawRepresentation)])
        #expect(okp.verifies(Array(try ed.signature(for: input)), over: input, algorithm: "EdDSA"))
        let components = try rsa.publicKey.getKeyPrimitives()
        let rsaKey = try jwk(["kty": "RSA", "n": Self.b64(components.modulus), "e": Self.b64(components.publicExponent)])
        let signature = try rsa.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        #expect(rsaKey.verifies(Array(signature.rawRepresentation), over: input, algorithm: "RS256"))
        // RFC 7638 3.1's example key and thumbprint.
        let example = try jwk([
            "kty": "RSA", "e": "AQAB",
            "n":
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        ])
        #expect(example.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }
}
