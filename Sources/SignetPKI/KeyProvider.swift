import Crypto
import Foundation
import SignetCore
import SignetHSM
import SwiftASN1
import X509
import _CryptoExtras

/// Where the CA's private keys come from: PEM files in the data folder today, an HSM through
/// PKCS#11 later (swift-certificates' `CustomPrivateKey` wraps one as a `Certificate.PrivateKey`).
/// Certificates, CRLs and OCSP responses all sign through the keys it gives.
public protocol KeyProvider: Sendable {
    /// The private key whose public key is `publicKey`.
    func privateKey(for publicKey: Certificate.PublicKey) throws(CAFilesError) -> Certificate.PrivateKey

    /// Whether a signature takes long enough (an HSM, a remote signer) that it must never run
    /// while the database's writer is held: issuance then reserves, signs outside, and records.
    var signsSlowly: Bool { get }

    /// The key (its URI) whose token does not answer now, after trying it again; `nil` when every
    /// key can sign. Issuance refuses new work with 503 meanwhile.
    var unavailableSigner: String? { get }
}

/// The CA's keys by public key: loaded from the data folder's PEM files, or opened on a PKCS#11
/// token where the key file holds its URI.
public struct InMemoryKeyProvider: KeyProvider {
    private let keys: [Certificate.PublicKey: Certificate.PrivateKey]
    private let tokenKeys: [PKCS11PrivateKey]

    /// - Parameter tokenKeys: those of `keys` that sign on a PKCS#11 token.
    public init(_ keys: [Certificate.PrivateKey], tokenKeys: [PKCS11PrivateKey] = []) {
        var table: [Certificate.PublicKey: Certificate.PrivateKey] = [:]
        for key in keys { table[key.publicKey] = key }
        self.keys = table
        self.tokenKeys = tokenKeys
    }

    /// A key on a token signs slowly (never inside a write transaction).
    public var signsSlowly: Bool { !tokenKeys.isEmpty }

    public var unavailableSigner: String? {
        tokenKeys.first { !$0.checkAvailability() }.map { $0.uri.description }
    }

    public func privateKey(for publicKey: Certificate.PublicKey) throws(CAFilesError) -> Certificate.PrivateKey {
        guard let key = keys[publicKey] else {
            throw .missingKey(publicKey: Array(publicKey.subjectPublicKeyInfoBytes).hexString)
        }
        return key
    }
}

/// The key types a CA key may have, and what they sign with.
enum KeyFamily: Sendable {
    case p256, p384, rsa

    init(_ key: Certificate.PublicKey) {
        if P256.Signing.PublicKey(key) != nil {
            self = .p256
        } else if P384.Signing.PublicKey(key) != nil {
            self = .p384
        } else {
            self = .rsa
        }
    }

    /// The hash this key signs CRLs, OCSP responses and CA certificates with: its curve's, or SHA-256 for RSA.
    var naturalHash: SignatureHash {
        switch self {
        case .p256, .rsa: return .sha256
        case .p384: return .sha384
        }
    }

    func algorithm(for hash: SignatureHash) -> Certificate.SignatureAlgorithm {
        switch (self, hash) {
        case (.rsa, .sha256): return .sha256WithRSAEncryption
        case (.rsa, .sha384): return .sha384WithRSAEncryption
        case (.rsa, .sha512): return .sha512WithRSAEncryption
        case (_, .sha256): return .ecdsaWithSHA256
        case (_, .sha384): return .ecdsaWithSHA384
        case (_, .sha512): return .ecdsaWithSHA512
        }
    }
}

extension Certificate.PrivateKey {
    /// `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING signature }`, the shape of a signed CRL or
    /// OCSP BasicResponse, signed by this key with `algorithm`.
    func signedStructure(tbs: [UInt8], algorithm: Certificate.SignatureAlgorithm) throws -> [UInt8] {
        let signature = try sign(bytes: tbs, signatureAlgorithm: algorithm)
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { outer in
            outer.serializeRawBytes(tbs)
            try outer.serialize(SignatureAlgorithmIdentifier(algorithm))
            try outer.serialize(ASN1BitString(bytes: signature.rawRepresentation[...]))
        }
        return serializer.serializedBytes
    }
}

/// The `AlgorithmIdentifier` of a signature algorithm, as it sits in a to-be-signed structure.
struct SignatureAlgorithmIdentifier: DERSerializable {
    let algorithm: Certificate.SignatureAlgorithm

    init(_ algorithm: Certificate.SignatureAlgorithm) { self.algorithm = algorithm }

    func serialize(into coder: inout DER.Serializer) throws {
        let (oid, nullParameters): (ASN1ObjectIdentifier, Bool)
        switch algorithm {
        case .sha256WithRSAEncryption: (oid, nullParameters) = ([1, 2, 840, 113_549, 1, 1, 11], true)
        case .sha384WithRSAEncryption: (oid, nullParameters) = ([1, 2, 840, 113_549, 1, 1, 12], true)
        case .sha512WithRSAEncryption: (oid, nullParameters) = ([1, 2, 840, 113_549, 1, 1, 13], true)
        case .ecdsaWithSHA384: (oid, nullParameters) = ([1, 2, 840, 10045, 4, 3, 3], false)
        case .ecdsaWithSHA512: (oid, nullParameters) = ([1, 2, 840, 10045, 4, 3, 4], false)
        default: (oid, nullParameters) = ([1, 2, 840, 10045, 4, 3, 2], false)
        }
        try coder.appendConstructedNode(identifier: .sequence) { sequence in
            try sequence.serialize(oid)
            if nullParameters { try sequence.serialize(ASN1Null()) }
        }
    }
}
