import Foundation
import SignetCore
import SwiftASN1
import X509

/// Everything a certificate will say, before any key signs it: the object the pre-issuance lint
/// judges (BR 4.3.1.2) and the only thing a CA key signs.
public struct ToBeSignedCertificate: Sendable {
    /// Which profile the certificate follows.
    public enum Profile: Sendable {
        case root
        case issuingCA(Set<CertificateFamily>)
        case subscriber(Product, NamePolicy)
    }

    public var profile: Profile
    public var serialNumber: SerialNumber
    public var publicKey: Certificate.PublicKey
    public var notBefore: Date
    public var notAfter: Date
    public var issuer: DistinguishedName
    public var subject: DistinguishedName
    public var signatureAlgorithm: Certificate.SignatureAlgorithm
    public var extensions: Certificate.Extensions

    /// The certificate, signed by `key` (which the caller has matched to `issuer`).
    func signed(by key: Certificate.PrivateKey) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: serialNumber.certificateSerial, publicKey: publicKey, notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: issuer, subject: subject, signatureAlgorithm: signatureAlgorithm,
            extensions: extensions, issuerPrivateKey: key)
    }

    /// The same, for a key that signs asynchronously (an HSM).
    func signedAsynchronously(by key: Certificate.PrivateKey) async throws -> Certificate {
        try await Certificate(
            version: .v3, serialNumber: serialNumber.certificateSerial, publicKey: publicKey, notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: issuer, subject: subject, signatureAlgorithm: signatureAlgorithm,
            extensions: extensions, issuerAsyncPrivateKey: key)
    }
}

/// A certificate serial number: 16 random bytes, positive, first byte non-zero, so every serial
/// has the same length and at least 120 bits of CSPRNG output (BR 7.1 asks for 64).
public struct SerialNumber: Sendable, Hashable {
    public let bytes: [UInt8]

    public static func random() -> SerialNumber {
        var bytes = SecureRandom.bytes(16)
        bytes[0] = max(1, bytes[0] & 0x7F)
        return SerialNumber(bytes: bytes)
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// From upper- or lower-case hex, as Signet stores serial numbers; `nil` for anything else.
    public init?(hex: String) {
        guard let bytes = [UInt8](hex: hex), !bytes.isEmpty else { return nil }
        self.bytes = bytes
    }

    public var hex: String { bytes.hexString }
    var certificateSerial: Certificate.SerialNumber { Certificate.SerialNumber(bytes: bytes) }
}

/// Where relying parties fetch revocation data and issuer certificates. Always http: clients
/// fetching CRLs and OCSP do not follow https (BR 7.1.2.11.2 and 7.1.2.7.7 require http URLs).
public struct PKIEndpoints: Sendable, Equatable {
    public let base: String

    /// `base` without a trailing slash, e.g. `http://pki.example.com`.
    public init(base: String) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    public func crlURL(of caID: String) -> String { "\(base)/crl/\(caID).crl" }
    public func issuerURL(of caID: String) -> String { "\(base)/ca/\(caID).crt" }
    public var ocspURL: String { "\(base)/ocsp" }
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

extension Sequence where Element == UInt8 {
    /// Upper-case hex without separators.
    public var hexString: String { Hex.uppercase(self) }
}
