import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509
import _CryptoExtras

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The issuing key algorithm chosen on first start (`--ca-key`).
public enum IssuingKeyType: String, Sendable, CaseIterable {
    case p256
    case rsa2048
}

/// Why the CA files cannot be used.
public enum CAFilesError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case keyDoesNotMatch(path: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .keyDoesNotMatch(let path): return "the key in \(path) does not belong to its certificate"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Keeps the CA's keys and certificates as PEM files in a folder: the file key provider.
///
/// First use creates a root (ECDSA P-384, 20 years) and an issuing intermediate (P-256 or
/// RSA-2048, 10 years); later uses load them. Private keys are created with mode 0600 in
/// one `open(2)` call, so they are never readable by others, not even for an instant.
public struct CAKeyFiles: Sendable {
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    var rootKeyPath: URL { folder.appendingPathComponent("root.key") }
    var rootCertificatePath: URL { folder.appendingPathComponent("root.crt") }
    var issuingKeyPath: URL { folder.appendingPathComponent("issuing.key") }
    var issuingCertificatePath: URL { folder.appendingPathComponent("issuing.crt") }

    public var exists: Bool { FileManager.default.fileExists(atPath: issuingCertificatePath.path) }

    /// Loads the CA, creating it first when the folder holds none.
    public func loadOrCreate(issuingKeyType: IssuingKeyType, publicURL: String, now: Date = Date()) throws
        -> (authority: CertificateAuthority, created: Bool)
    {
        var created = false
        if !exists {
            try create(issuingKeyType: issuingKeyType, now: now)
            created = true
        }
        let root = try Certificate(pemEncoded: read(rootCertificatePath))
        let issuing = try Certificate(pemEncoded: read(issuingCertificatePath))
        let key = try SigningKey(pem: read(issuingKeyPath))
        guard key.publicKey == issuing.publicKey else { throw CAFilesError.keyDoesNotMatch(path: issuingKeyPath.path) }
        return (try CertificateAuthority(root: root, issuing: issuing, signingKey: key, publicURL: publicURL), created)
    }

    private func create(issuingKeyType: IssuingKeyType, now: Date) throws {
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A short random tag keeps the names of two installations apart.
        let tag = (0..<2).map { _ in UInt8.random(in: 0...255) }.hexString
        let rootKey = P384.Signing.PrivateKey()
        let rootName = try DistinguishedName {
            OrganizationName("Signet")
            CommonName("Signet Root CA \(tag)")
        }
        let rootPublic = Certificate.PublicKey(rootKey.publicKey)
        let root = try Certificate(
            version: .v3, serialNumber: SerialNumber.random().certificateSerial, publicKey: rootPublic,
            notValidBefore: now, notValidAfter: now.addingTimeInterval(20 * 365.25 * 86_400),
            issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: rootPublic)
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))

        let issuingKey: Certificate.PrivateKey
        let issuingPEM: String
        switch issuingKeyType {
        case .p256:
            let key = P256.Signing.PrivateKey()
            issuingKey = Certificate.PrivateKey(key)
            issuingPEM = key.pemRepresentation
        case .rsa2048:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            issuingKey = Certificate.PrivateKey(key)
            issuingPEM = key.pemRepresentation
        }
        let suffix = issuingKeyType == .p256 ? "E1" : "R1"
        let issuingName = try DistinguishedName {
            OrganizationName("Signet")
            CommonName("Signet Issuing CA \(suffix) \(tag)")
        }
        let issuing = try Certificate(
            version: .v3, serialNumber: SerialNumber.random().certificateSerial, publicKey: issuingKey.publicKey,
            notValidBefore: now, notValidAfter: now.addingTimeInterval(10 * 365.25 * 86_400),
            issuer: rootName, subject: issuingName, signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: rootPublic).keyIdentifier)
                SubjectKeyIdentifier(hash: issuingKey.publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(rootKey))

        // Keys first, certificates last: `exists` looks at the issuing certificate, so a crash
        // half-way leaves a folder that the next start recreates rather than half-loads.
        try writeSecret(rootKey.pemRepresentation, to: rootKeyPath)
        try writeSecret(issuingPEM, to: issuingKeyPath)
        try write(root.serializeAsPEM().pemString + "\n", to: rootCertificatePath)
        try write(issuing.serializeAsPEM().pemString + "\n", to: issuingCertificatePath)
    }

    private func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw CAFilesError.unreadable(path: url.path, reason: "\(error)")
        }
    }

    private func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CAFilesError.cannotWrite(path: url.path, reason: "\(error)")
        }
    }

    /// Creates `url` with mode 0600 and writes `text`, replacing a leftover from an interrupted start.
    private func writeSecret(_ text: String, to url: URL) throws {
        try SecretFile.write(text, to: url.path)
    }
}

/// Files that hold secrets: created 0600 in one system call, flushed before they count as written.
public enum SecretFile {
    public static func write(_ text: String, to path: String) throws {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CAFilesError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else {
                throw CAFilesError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw CAFilesError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
