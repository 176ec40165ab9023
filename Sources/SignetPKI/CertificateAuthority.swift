import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A certificate Signet signed, in the forms the API reports.
public struct SignedCertificate: Sendable {
    public let certificate: Certificate
    public let der: [UInt8]
    public let pem: String
    /// Upper-case hex, no separators.
    public let serialNumber: String
    /// SHA-1 of the DER, upper-case hex: CertCentral's `thumbprint`.
    public let thumbprint: String
    /// The hash actually used: see ``CertificateAuthority/signatureHash(for:)``.
    public let signatureHash: SignatureHash
    public let issuerID: String
}

/// One certificate of the chain, ready to show: subject common name and PEM.
public struct ChainCertificate: Sendable, Equatable {
    public let commonName: String
    public let pem: String
    public let der: [UInt8]
}

/// The issuing certificate authority: a root, one issuing intermediate and its signing key.
///
/// It signs and builds revocation data; it never touches HTTP or the database.
public struct CertificateAuthority: Sendable {
    public let root: Certificate
    public let issuing: Certificate
    let signingKey: SigningKey
    let issuingKey: Certificate.PrivateKey
    let keyFamily: KeyFamily
    /// What OCSP CertIDs carry for this issuer, per hash algorithm (SHA-1 and SHA-256).
    let issuerHashes: [ASN1ObjectIdentifier: (name: [UInt8], key: [UInt8])]
    public let endpoints: CAEndpoints
    /// CertCentral's `ca_cert_id`: the first eight bytes of the intermediate's key identifier, hex.
    public let issuerID: String
    /// Leaf, issuing CA, root as shown in `certificate_chain`; leaf excluded.
    public let chain: [ChainCertificate]

    public init(root: Certificate, issuing: Certificate, signingKey: SigningKey, publicURL: String) throws {
        self.root = root
        self.issuing = issuing
        self.signingKey = signingKey
        issuingKey = signingKey.certificateKey
        keyFamily = issuingKey.keyFamily
        var name = DER.Serializer()
        try name.serialize(issuing.subject)
        let keyBits = Array(issuing.publicKey.subjectPublicKeyInfoBytes)
        issuerHashes = [
            [1, 3, 14, 3, 2, 26]: (Array(Insecure.SHA1.hash(data: name.serializedBytes)), Array(Insecure.SHA1.hash(data: keyBits))),
            [2, 16, 840, 1, 101, 3, 4, 2, 1]: (Array(SHA256.hash(data: name.serializedBytes)), Array(SHA256.hash(data: keyBits))),
        ]
        issuerID = Self.issuerID(of: issuing)
        endpoints = CAEndpoints(publicURL: publicURL, issuerID: issuerID)
        chain = try [issuing, root].map { try ChainCertificate($0) }
    }

    static func issuerID(of certificate: Certificate) -> String {
        let identifier = (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier
            ?? ArraySlice(Insecure.SHA1.hash(data: certificate.publicKey.subjectPublicKeyInfoBytes))
        return identifier.prefix(8).hexString
    }

    var issuerKeyIdentifier: ArraySlice<UInt8> {
        ((try? issuing.extensions.subjectKeyIdentifier) ?? nil)?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: issuing.publicKey).keyIdentifier
    }

    /// The issuing key's type among those `--ca-key` can create; `nil` for another (a P-384 issuing key).
    public var issuingKeyType: IssuingKeyType? {
        switch keyFamily {
        case .p256: return .p256
        case .rsa: return .rsa2048
        case .p384: return nil
        }
    }

    /// The hash Signet signs with when a client asks for `requested`.
    ///
    /// An RSA issuing key signs with the hash asked for. An ECDSA key signs with the hash that
    /// matches its curve, because the Baseline Requirements (7.1.3.2.2) pair P-256 with SHA-256
    /// and P-384 with SHA-384 and nothing else. Orders report the hash actually used.
    public func signatureHash(for requested: SignatureHash) -> SignatureHash {
        switch keyFamily {
        case .rsa: return requested
        case .p256: return .sha256
        case .p384: return .sha384
        }
    }

    private func algorithm(for hash: SignatureHash) -> Certificate.SignatureAlgorithm {
        switch (keyFamily, hash) {
        case (.rsa, .sha256): return .sha256WithRSAEncryption
        case (.rsa, .sha384): return .sha384WithRSAEncryption
        case (.rsa, .sha512): return .sha512WithRSAEncryption
        case (_, .sha256): return .ecdsaWithSHA256
        case (_, .sha384): return .ecdsaWithSHA384
        case (_, .sha512): return .ecdsaWithSHA512
        }
    }

    /// Signs a subscriber certificate with a fresh random serial number.
    public func issue(_ request: LeafRequest, serial: SerialNumber = SerialNumber.random()) throws -> SignedCertificate {
        let hash = signatureHash(for: request.signatureHash)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serial.certificateSerial,
            publicKey: request.publicKey,
            notValidBefore: request.notBefore,
            notValidAfter: request.notAfter,
            issuer: issuing.subject,
            subject: try LeafProfile.subject(for: request),
            signatureAlgorithm: algorithm(for: hash),
            extensions: try LeafProfile.extensions(
                for: request, issuerKeyIdentifier: issuerKeyIdentifier, endpoints: endpoints),
            issuerPrivateKey: issuingKey)
        let der = try certificate.derBytes()
        return SignedCertificate(
            certificate: certificate, der: der, pem: PEM.encode(type: "CERTIFICATE", der: der),
            serialNumber: serial.hex, thumbprint: Array(Insecure.SHA1.hash(data: der)).hexString,
            signatureHash: hash, issuerID: issuerID)
    }
}

extension CertificateAuthority {
    /// A full CRL of this issuing CA.
    public func revocationList(number: Int64, thisUpdate: Date, nextUpdate: Date, revoked: [RevokedCertificate]) throws
        -> [UInt8]
    {
        try RevocationList.build(
            issuer: issuing, issuerKeyIdentifier: issuerKeyIdentifier, key: signingKey, number: number,
            thisUpdate: thisUpdate, nextUpdate: nextUpdate, revoked: revoked)
    }

    /// Whether an OCSP CertID names this issuing CA.
    public func isIssuer(of item: OCSPQuery.Item) -> Bool {
        guard let hashes = issuerHashes[item.hashAlgorithm] else { return false }
        return hashes.name == item.issuerNameHash && hashes.key == item.issuerKeyHash
    }

    /// A signed OCSP response for `statuses`, valid from `now` to `nextUpdate`, echoing `nonce`.
    public func ocspResponse(
        statuses: [(item: OCSPQuery.Item, status: OCSPStatus)], nonce: [UInt8]?, now: Date, nextUpdate: Date
    ) throws -> [UInt8] {
        try OCSPResponseBuilder.successful(
            statuses: statuses.map { ($0.item.certIDDER, $0.status) }, producedAt: now, nextUpdate: nextUpdate,
            nonce: nonce, key: signingKey, responderKeyHash: issuerHashes[[1, 3, 14, 3, 2, 26]]!.key)
    }

    /// The OCSP answer to a request that could not be parsed.
    public static var ocspMalformedRequest: [UInt8] { OCSPResponseBuilder.unsuccessful(1) }
    /// The OCSP answer when the responder itself failed.
    public static var ocspInternalError: [UInt8] { OCSPResponseBuilder.unsuccessful(2) }
}

/// A certificate serial number: 16 random bytes, positive, first byte non-zero, so every
/// serial has the same length and at least 120 bits of CSPRNG output (BR 7.1 asks for 64).
public struct SerialNumber: Sendable, Hashable {
    public let bytes: [UInt8]

    public static func random() -> SerialNumber {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = max(1, bytes[0] & 0x7F)
        return SerialNumber(bytes: bytes)
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var hex: String { bytes.hexString }
    var certificateSerial: Certificate.SerialNumber { Certificate.SerialNumber(bytes: bytes) }
}

extension ChainCertificate {
    init(_ certificate: Certificate) throws {
        let der = try certificate.derBytes()
        self.init(
            commonName: certificate.subject.commonName ?? "",
            pem: PEM.encode(type: "CERTIFICATE", der: der), der: der)
    }
}

extension Certificate {
    func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}

extension DistinguishedName {
    /// The first common name, as chains are labelled in CertCentral responses.
    public var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value) ?? attribute.value.description
            }
        }
        return nil
    }
}

/// The kinds of issuing key Signet supports.
enum KeyFamily { case p256, p384, rsa }

extension Certificate.PrivateKey {
    var keyFamily: KeyFamily {
        switch publicKey {
        case let key where P256.Signing.PublicKey(key) != nil: return .p256
        case let key where P384.Signing.PublicKey(key) != nil: return .p384
        default: return .rsa
        }
    }
}

extension Sequence where Element == UInt8 {
    /// Upper-case hex without separators.
    public var hexString: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
