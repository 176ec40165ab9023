import Crypto
import Foundation
import SignetPKI
import SwiftASN1
import X509

/// The CA files of a data folder made before issuing CAs were split by family: `root.key`,
/// `root.crt`, `issuing.key`, `issuing.crt`, with the profiles those versions wrote (subjects of O and
/// CN only, one issuing CA without extendedKeyUsage, policies or revocation pointers).
enum LegacyCA {
    static func write(into folder: URL, now: Date = Date()) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let rootKey = P384.Signing.PrivateKey()
        let rootName = try DistinguishedName {
            OrganizationName("Signet")
            CommonName("Signet Root CA 0LD0")
        }
        let rootPublic = Certificate.PublicKey(rootKey.publicKey)
        let root = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: SerialNumber.random().bytes), publicKey: rootPublic,
            notValidBefore: now.addingTimeInterval(-86_400),
            notValidAfter: now.addingTimeInterval(20 * 365 * 86_400), issuer: rootName, subject: rootName,
            signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: rootPublic)
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))
        let issuingKey = P256.Signing.PrivateKey()
        let issuingPublic = Certificate.PublicKey(issuingKey.publicKey)
        let issuingName = try DistinguishedName {
            OrganizationName("Signet")
            CommonName("Signet Issuing CA E1 0LD0")
        }
        let issuing = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: SerialNumber.random().bytes), publicKey: issuingPublic,
            notValidBefore: now.addingTimeInterval(-86_400), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: rootName, subject: issuingName, signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: rootPublic).keyIdentifier)
                SubjectKeyIdentifier(hash: issuingPublic)
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))
        try rootKey.pemRepresentation.write(to: folder.appendingPathComponent("root.key"), atomically: true, encoding: .utf8)
        try issuingKey.pemRepresentation.write(
            to: folder.appendingPathComponent("issuing.key"), atomically: true, encoding: .utf8)
        try root.serializeAsPEM().pemString.write(
            to: folder.appendingPathComponent("root.crt"), atomically: true, encoding: .utf8)
        try issuing.serializeAsPEM().pemString.write(
            to: folder.appendingPathComponent("issuing.crt"), atomically: true, encoding: .utf8)
    }
}
