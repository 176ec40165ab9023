import CPKCS11
import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A CA key that stays on a PKCS#11 token (an HSM, SoftHSM in tests) and signs there, as
/// swift-certificates' `CustomPrivateKey`: certificates, CRLs and OCSP responses sign through it
/// like through a key in memory. Its public key is the CA certificate's; opening the key signs a
/// test message and checks it against that public key, so that a URI naming the wrong key, a
/// wrong PIN or a missing token fails at start, not at the first order.
public struct PKCS11PrivateKey: CustomPrivateKey {
    public let uri: PKCS11URI
    let signer: PKCS11Signer
    public let publicKey: Certificate.PublicKey

    public init(uri: PKCS11URI, publicKey: Certificate.PublicKey) throws {
        self.uri = uri
        self.publicKey = publicKey
        signer = try PKCS11Signer(uri: uri)
        let probe = Array("signet: does this key belong to its certificate?".utf8)
        let signature = try signSynchronously(bytes: probe, signatureAlgorithm: defaultSignatureAlgorithm)
        guard publicKey.isValidSignature(signature.rawRepresentation, for: probe, signatureAlgorithm: defaultSignatureAlgorithm)
        else { throw PKCS11Error.keyDoesNotMatch(uri.description) }
    }

    /// Whether the token answers, connecting to it again if it was away.
    public func checkAvailability() -> Bool { signer.checkAvailability() }

    public var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm {
        if P384.Signing.PublicKey(publicKey) != nil { return .ecdsaWithSHA384 }
        if P256.Signing.PublicKey(publicKey) != nil { return .ecdsaWithSHA256 }
        return .sha256WithRSAEncryption
    }

    public var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] {
        if P256.Signing.PublicKey(publicKey) != nil || P384.Signing.PublicKey(publicKey) != nil {
            return [.ecdsaWithSHA256, .ecdsaWithSHA384, .ecdsaWithSHA512]
        }
        return [.sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption]
    }

    public func signSynchronously(
        bytes: some DataProtocol, signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        let data = Array(bytes)
        switch signatureAlgorithm {
        case .ecdsaWithSHA256, .ecdsaWithSHA384, .ecdsaWithSHA512:
            // CKM_ECDSA signs a digest and answers r‖s; X.509 wants the DER ECDSA-Sig-Value.
            let digest: [UInt8]
            switch signatureAlgorithm {
            case .ecdsaWithSHA384: digest = Array(SHA384.hash(data: data))
            case .ecdsaWithSHA512: digest = Array(SHA512.hash(data: data))
            default: digest = Array(SHA256.hash(data: data))
            }
            let raw = try signer.sign(digest, mechanism: CK_MECHANISM_TYPE(CKM_ECDSA))
            let der: [UInt8]
            if P384.Signing.PublicKey(publicKey) != nil {
                der = Array(try P384.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            } else {
                der = Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            }
            return try Certificate.Signature(
                signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: der[...]))
        case .sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption:
            let mechanism: UInt
            switch signatureAlgorithm {
            case .sha384WithRSAEncryption: mechanism = UInt(CKM_SHA384_RSA_PKCS)
            case .sha512WithRSAEncryption: mechanism = UInt(CKM_SHA512_RSA_PKCS)
            default: mechanism = UInt(CKM_SHA256_RSA_PKCS)
            }
            let raw = try signer.sign(data, mechanism: CK_MECHANISM_TYPE(mechanism))
            return try Certificate.Signature(
                signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: raw[...]))
        default:
            throw PKCS11Error.unsupportedKey(uri.description)
        }
    }

    public static func == (lhs: PKCS11PrivateKey, rhs: PKCS11PrivateKey) -> Bool {
        lhs.uri == rhs.uri && lhs.publicKey == rhs.publicKey
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(uri)
        hasher.combine(publicKey)
    }

    // A key on a token is never exported: PEM serialization is refused.
    public static var defaultPEMDiscriminator: String { "PKCS11 KEY URI" }

    public func serialize(into coder: inout DER.Serializer) throws {
        throw PKCS11Error.unsupportedKey("\(uri) cannot be exported from its token")
    }
}
