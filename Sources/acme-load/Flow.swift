import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

extension ACMELoadClient {
    /// One whole ACME flow for `name`, as certbot runs it: newOrder, the authorization, its http-01
    /// challenge (answered by the responder), finalize with a fresh key's CSR, poll while
    /// processing, download the certificate. Returns the PEM chain.
    func flow(name: String, nonce: inout String) async throws -> String {
        guard let newOrder = directory["newOrder"] else { throw Problem(description: "no newOrder") }
        let opened = try await post(
            newOrder, payload: #"{"identifiers":[{"type":"dns","value":"\#(name)"}]}"#, nonce: &nonce)
        guard opened.status == 201, let orderURL = opened.location,
            case .array(let authorizations)? = opened.json["authorizations"],
            case .string(let authorization)? = authorizations.first, let finalize = opened.string("finalize")
        else { throw Problem(description: "newOrder: \(opened.status) \(String(decoding: opened.body, as: UTF8.self))") }
        let authz = try await post(authorization, payload: "", nonce: &nonce)
        if authz.string("status") != "valid" {
            guard case .array(let challenges)? = authz.json["challenges"],
                case .object(let challenge)? = challenges.first(where: {
                    guard case .object(let members) = $0 else { return false }
                    return members["type"] == .string("http-01")
                }),
                case .string(let url)? = challenge["url"]
            else { throw Problem(description: "no http-01 challenge: \(String(decoding: authz.body, as: UTF8.self))") }
            let answered = try await post(url, payload: "{}", nonce: &nonce)
            guard answered.string("status") == "valid" else {
                throw Problem(description: "challenge: \(String(decoding: answered.body, as: UTF8.self))")
            }
        }
        var order = try await post(finalize, payload: #"{"csr":"\#(try Self.csr(name))"}"#, nonce: &nonce)
        for _ in 0..<100 where order.string("status") == "processing" {
            try await Task.sleep(nanoseconds: 50_000_000)
            order = try await post(orderURL, payload: "", nonce: &nonce)
        }
        guard order.string("status") == "valid", let certificate = order.string("certificate") else {
            throw Problem(description: "finalize: \(order.status) \(String(decoding: order.body, as: UTF8.self))")
        }
        let chain = try await post(certificate, payload: "", nonce: &nonce)
        guard chain.status == 200 else { throw Problem(description: "certificate: \(chain.status)") }
        return String(decoding: chain.body, as: UTF8.self)
    }

    /// The base64url DER of a CSR for `name` with a new P-256 key.
    static func csr(_ name: String) throws -> String {
        let key = P256.Signing.PrivateKey()
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(name) }, privateKey: .init(key),
            attributes: try CertificateSigningRequest.Attributes([
                .init(
                    ExtensionRequest(
                        extensions: Certificate.Extensions([.init(SubjectAlternativeNames([.dnsName(name)]), critical: false)])))
            ]),
            signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return Base64URL.encode(serializer.serializedBytes)
    }
}
