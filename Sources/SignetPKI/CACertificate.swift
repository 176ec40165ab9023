import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A CA certificate Signet holds (the root, or an issuing CA), with what chains, OCSP and
/// CertCentral's `ca_cert_id` need of it.
public struct CACertificate: Sendable {
    public let certificate: Certificate
    public let der: [UInt8]
    public let pem: String
    /// CertCentral's `ca_cert_id`: the first eight bytes of the key identifier, hex. Also names the
    /// CA's CRL (`/crl/<id>.crl`) and certificate (`/ca/<id>.crt`).
    public let id: String
    let keyIdentifier: ArraySlice<UInt8>
    let keyFamily: KeyFamily
    /// What OCSP CertIDs carry for certificates this CA issued, per hash algorithm (SHA-1, SHA-256).
    let certIDHashes: [ASN1ObjectIdentifier: (name: [UInt8], key: [UInt8])]

    static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]

    public init(_ certificate: Certificate) throws {
        self.certificate = certificate
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        der = serializer.serializedBytes
        pem = PEM.encode(type: "CERTIFICATE", der: der)
        keyIdentifier =
            ((try? certificate.extensions.subjectKeyIdentifier) ?? nil)?.keyIdentifier
            ?? ArraySlice(Insecure.SHA1.hash(data: certificate.publicKey.subjectPublicKeyInfoBytes))
        id = keyIdentifier.prefix(8).hexString
        keyFamily = KeyFamily(certificate.publicKey)
        var name = DER.Serializer()
        try name.serialize(certificate.subject)
        let keyBits = Array(certificate.publicKey.subjectPublicKeyInfoBytes)
        certIDHashes = [
            Self.sha1: (Array(Insecure.SHA1.hash(data: name.serializedBytes)), Array(Insecure.SHA1.hash(data: keyBits))),
            Self.sha256: (Array(SHA256.hash(data: name.serializedBytes)), Array(SHA256.hash(data: keyBits))),
        ]
    }

    public var subject: DistinguishedName { certificate.subject }
    public var commonName: String { certificate.subject.commonName ?? "" }

    /// The issuing key's type among those `--ca-key` creates; `nil` for another (a P-384 issuing key).
    public var keyType: IssuingKeyType? {
        switch keyFamily {
        case .p256: return .p256
        case .rsa: return .rsa2048
        case .p384: return nil
        }
    }

    /// Whether an OCSP CertID names this CA as the issuer.
    public func isIssuer(of item: OCSPQuery.Item) -> Bool {
        guard let hashes = certIDHashes[item.hashAlgorithm] else { return false }
        return hashes.name == item.issuerNameHash && hashes.key == item.issuerKeyHash
    }

    /// The chain entry of this certificate.
    public var chainEntry: ChainCertificate { ChainCertificate(commonName: commonName, pem: pem, der: der) }
}

/// An issuing CA: the families it signs for, and whether it still signs new certificates.
public struct IssuingCA: Sendable {
    public let ca: CACertificate
    /// One family, or both for an issuing CA made before families existed (a data folder from before).
    public let families: Set<CertificateFamily>
    /// A retired issuing CA signs no new certificates, but its certificates stay valid and it keeps
    /// publishing their CRL and answering OCSP for them.
    public let isCurrent: Bool

    public var id: String { ca.id }
}

/// One certificate of a chain, ready to show: subject common name and PEM.
public struct ChainCertificate: Sendable, Equatable {
    public let commonName: String
    public let pem: String
    public let der: [UInt8]
}

/// The issuing key algorithm of a new CA (`--ca-key`).
public enum IssuingKeyType: String, Sendable, CaseIterable {
    case p256
    case rsa2048
}

/// Why the CA files cannot be used.
public enum CAFilesError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case keyDoesNotMatch(path: String)
    case cannotWrite(path: String, reason: String)
    case missingKey(publicKey: String)
    case noIssuer(family: CertificateFamily)
    /// `--key` names a token key for an issuing CA of a type Signet does not make on tokens.
    case tokenKeyType(uri: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .keyDoesNotMatch(let path): return "the key in \(path) does not belong to its certificate"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        case .missingKey(let key): return "no private key for the CA key \(key.prefix(24))…"
        case .noIssuer(let family): return "no current issuing CA signs \(family.rawValue) certificates"
        case .tokenKeyType(let uri):
            return "\(uri): Signet makes EC keys on tokens (P-384 root, P-256 issuing CAs); leave --ca-key rsa2048 out"
        }
    }
}
