import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509
import _CryptoExtras

/// A CA's private key and how it signs: the seam where another key provider (an HSM through
/// PKCS#11) would plug in. Certificates go through swift-certificates; CRLs and OCSP
/// responses, which it has no public builders for, are signed here directly.
public enum SigningKey: Sendable {
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey)

    /// Reads a PEM private key (PKCS#8, SEC1 or PKCS#1).
    public init(pem: String) throws {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            self = .p384(key)
        } else {
            self = .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pem))
        }
    }

    public var certificateKey: Certificate.PrivateKey {
        switch self {
        case .p256(let key): return Certificate.PrivateKey(key)
        case .p384(let key): return Certificate.PrivateKey(key)
        case .rsa(let key): return Certificate.PrivateKey(key)
        }
    }

    public var publicKey: Certificate.PublicKey { certificateKey.publicKey }

    /// The hash the key signs CRLs and OCSP responses with: its curve's, or SHA-256 for RSA.
    var naturalHash: SignatureHash {
        switch self {
        case .p256, .rsa: return .sha256
        case .p384: return .sha384
        }
    }

    /// The AlgorithmIdentifier of a signature with `hash`: OID, and whether it takes NULL parameters (RSA).
    func algorithm(_ hash: SignatureHash) -> (oid: ASN1ObjectIdentifier, nullParameters: Bool) {
        switch (self, hash) {
        case (.rsa, .sha256): return ([1, 2, 840, 113_549, 1, 1, 11], true)
        case (.rsa, .sha384): return ([1, 2, 840, 113_549, 1, 1, 12], true)
        case (.rsa, .sha512): return ([1, 2, 840, 113_549, 1, 1, 13], true)
        case (_, .sha256): return ([1, 2, 840, 10045, 4, 3, 2], false)
        case (_, .sha384): return ([1, 2, 840, 10045, 4, 3, 3], false)
        case (_, .sha512): return ([1, 2, 840, 10045, 4, 3, 4], false)
        }
    }

    /// The signature value over `message`: DER (r, s) for ECDSA, PKCS#1 v1.5 for RSA.
    func sign(_ message: [UInt8], hash: SignatureHash) throws -> [UInt8] {
        switch self {
        case .p256(let key): return Array(try key.signature(for: Self.digest(message, hash)).derRepresentation)
        case .p384(let key): return Array(try key.signature(for: Self.digest(message, hash)).derRepresentation)
        case .rsa(let key):
            return Array(try key.signature(for: Self.digest(message, hash), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    private static func digest(_ message: [UInt8], _ hash: SignatureHash) -> any Digest {
        switch hash {
        case .sha256: return SHA256.hash(data: message)
        case .sha384: return SHA384.hash(data: message)
        case .sha512: return SHA512.hash(data: message)
        }
    }

    /// `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING signature }`, the shape of a signed CRL,
    /// with `trailer` (e.g. the certificates of an OCSP response) appended inside the sequence.
    func signedStructure(
        tbs: [UInt8], hash: SignatureHash, trailer: (inout DER.Serializer) throws -> Void = { _ in }
    ) throws -> [UInt8] {
        let signature = try sign(tbs, hash: hash)
        let (oid, nullParameters) = algorithm(hash)
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { outer in
            outer.serializeRawBytes(tbs)
            try outer.appendConstructedNode(identifier: .sequence) { algorithm in
                try algorithm.serialize(oid)
                if nullParameters { try algorithm.serialize(ASN1Null()) }
            }
            try outer.serialize(ASN1BitString(bytes: signature[...]))
            try trailer(&outer)
        }
        return serializer.serializedBytes
    }

    /// Serializes `tbs` and appends its signature algorithm (inside a to-be-signed structure).
    func serializeAlgorithm(_ hash: SignatureHash, into serializer: inout DER.Serializer) throws {
        let (oid, nullParameters) = algorithm(hash)
        try serializer.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize(oid)
            if nullParameters { try algorithm.serialize(ASN1Null()) }
        }
    }
}
