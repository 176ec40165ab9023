import Crypto
import Foundation
import SignetCore
import SignetHSM
import X509
import _CryptoExtras

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a new CA is made.
public struct CASettings: Sendable {
    public var issuingKeyType: IssuingKeyType
    public var identity: CAIdentity
    /// Where the issuing CAs' certificates point for the root's CRL, OCSP and certificate.
    public var endpoints: PKIEndpoints
    /// Keys of a new CA (or of a rotation's new issuing CAs) kept on a PKCS#11 token, by name
    /// (`root`, `tls`, `smime`): found there, or generated there when the token has none
    /// (docs/hsm.md). The key file then holds the URI. The others are made in memory and written.
    public var tokenKeys: [String: PKCS11URI]
    /// A folder of key ceremony outputs a new CA is installed from instead of made (its root
    /// stays offline; ``CAFolder/install(from:)``).
    public var ceremonyOutputs: URL?

    public init(
        issuingKeyType: IssuingKeyType = .p256, identity: CAIdentity = CAIdentity(), endpoints: PKIEndpoints,
        tokenKeys: [String: PKCS11URI] = [:], ceremonyOutputs: URL? = nil
    ) {
        self.issuingKeyType = issuingKeyType
        self.identity = identity
        self.endpoints = endpoints
        self.tokenKeys = tokenKeys
        self.ceremonyOutputs = ceremonyOutputs
    }
}

/// The CA's keys and certificates as PEM files in the data folder: the file key provider.
///
/// ```
/// ca/root.key, root.crt            the root (P-384)
/// ca/tls.key, tls.crt              the current TLS issuing CA
/// ca/smime.key, smime.crt          the current S/MIME issuing CA
/// ca/issuing.key, issuing.crt      the one issuing CA of a data folder made before families existed
/// ca/retired/<id>.key, <id>.crt    issuing CAs replaced by a rotation: no new certificates, still CRLs and OCSP
/// ca/root.crl                      instead of root.key, a root kept offline: its CRL from the last ceremony
/// ```
///
/// Private keys are created with mode 0600 in one `open(2)` call, so they are never readable by others.
public struct CAFolder: Sendable {
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    func path(_ name: String) -> URL { folder.appendingPathComponent(name) }
    var retired: URL { folder.appendingPathComponent("retired") }

    /// Whether the folder holds a CA.
    public var exists: Bool { FileManager.default.fileExists(atPath: path("root.crt").path) }

    /// Whether the folder's issuing CA predates the per-family issuing CAs.
    public var isLegacy: Bool { FileManager.default.fileExists(atPath: path("issuing.crt").path) }

    /// Loads the CA, creating it first when the folder holds none.
    public func loadOrCreate(_ settings: CASettings, now: Date) throws -> (authority: CertificateAuthority, created: Bool) {
        var created = false
        if !exists {
            if let source = settings.ceremonyOutputs {
                _ = try install(from: source)
            } else {
                try create(settings, now: now)
            }
            created = true
        }
        try finishRotation()
        return (try load(), created)
    }

    /// Reads every CA certificate and key of the folder.
    public func load() throws -> CertificateAuthority {
        var tokenKeys: [PKCS11PrivateKey] = []
        func pair(_ name: String) throws -> (CACertificate, Certificate.PrivateKey) {
            let (certificate, key, tokenKey) = try self.pairWithTokenKey(name)
            if let tokenKey { tokenKeys.append(tokenKey) }
            return (certificate, key)
        }
        var keys: [Certificate.PrivateKey] = []
        let root: CACertificate
        var offlineRootCRL: CeremonyCRL?
        if isRootOffline {
            root = try CACertificate(try Certificate(pemEncoded: read(path("root.crt"))))
            let crl = try Data(contentsOf: path("root.crl"))
            offlineRootCRL = try CeremonyCRL(Array(crl), root: root)
        } else {
            let (certificate, rootKey) = try pair("root")
            root = certificate
            keys.append(rootKey)
        }
        var issuers: [IssuingCA] = []
        if isLegacy {
            let (issuing, key) = try pair("issuing")
            keys.append(key)
            issuers.append(IssuingCA(ca: issuing, families: Set(CertificateFamily.allCases), isCurrent: true))
        } else {
            for family in CertificateFamily.allCases {
                let (issuing, key) = try pair(family.rawValue)
                keys.append(key)
                issuers.append(IssuingCA(ca: issuing, families: [family], isCurrent: true))
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: retired.path)) ?? []
        for name in names.sorted() where name.hasSuffix(".crt") {
            let (issuing, key) = try pair("retired/" + String(name.dropLast(4)))
            keys.append(key)
            issuers.append(IssuingCA(ca: issuing, families: [], isCurrent: false))
        }
        // Files copied in from ceremonies (or by hand) must hang together: each issuing CA is the root's.
        for issuer in issuers
        where !root.certificate.publicKey.isValidSignature(issuer.ca.certificate.signature, for: issuer.ca.certificate) {
            throw CAFilesError.unreadable(
                path: folder.path, reason: "issuing CA \(issuer.id) was not signed by the root \(root.id)")
        }
        return try CertificateAuthority(
            root: root, issuers: issuers, keys: InMemoryKeyProvider(keys, tokenKeys: tokenKeys), offlineRootCRL: offlineRootCRL)
    }

    /// Makes new TLS and S/MIME issuing CAs under the existing root and retires the current ones
    /// (`signet ca rotate`). Returns the new issuing CAs.
    public func rotate(_ settings: CASettings, now: Date) throws -> [CACertificate] {
        guard !isRootOffline else {
            throw CAFilesError.unreadable(
                path: path("root.key").path,
                reason: "the root is offline: make new issuing CAs in an intermediate ceremony (docs/hsm.md)")
        }
        let (root, rootKey) = try pair("root")
        var made: [CACertificate] = []
        for family in CertificateFamily.allCases {
            made.append(try makeIssuing(family, root: root, rootKey: rootKey, settings, now: now, suffix: ".new"))
        }
        try FileManager.default.createDirectory(
            at: retired, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in isLegacy ? ["issuing"] : CertificateFamily.allCases.map(\.rawValue) {
            let (current, _) = try pair(name)
            for ext in ["key", "crt"] {
                try move(path("\(name).\(ext)"), to: retired.appendingPathComponent("\(current.id).\(ext)"))
            }
        }
        try finishRotation()
        return made
    }

    /// Completes a rotation interrupted after the old issuing CAs were retired: the new ones, written
    /// first as `.new` files, take their places.
    private func finishRotation() throws {
        for family in CertificateFamily.allCases {
            for ext in ["key", "crt"] where FileManager.default.fileExists(atPath: path("\(family.rawValue).\(ext).new").path) {
                guard !FileManager.default.fileExists(atPath: path("\(family.rawValue).\(ext)").path), !isLegacy else { continue }
                try move(path("\(family.rawValue).\(ext).new"), to: path("\(family.rawValue).\(ext)"))
            }
        }
    }

    private func create(_ settings: CASettings, now: Date) throws {
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let tag = (0..<2).map { _ in UInt8.random(in: 0...255) }.hexString
        let (rootKey, rootKeyFile): (Certificate.PrivateKey, String)
        if let uri = settings.tokenKeys["root"] {
            (rootKey, rootKeyFile) = (
                Certificate.PrivateKey(try PKCS11PrivateKey.findOrGenerate(uri: uri, curve: .p384)), uri.fileText
            )
        } else {
            let key = P384.Signing.PrivateKey()
            (rootKey, rootKeyFile) = (Certificate.PrivateKey(key), key.pemRepresentation)
        }
        let rootTBS = try CAProfile.root(key: rootKey.publicKey, identity: settings.identity, tag: tag, now: now)
        try PreIssuanceLint.require(rootTBS, issuer: nil, now: now)
        let root = try CACertificate(try rootTBS.signed(by: rootKey))
        // Keys first, certificates last: `exists` looks at root.crt, and the issuing CAs are written
        // as `.new` files that loading moves into place, so a crash half-way is finished or redone.
        try SecretFile.write(rootKeyFile, to: path("root.key").path)
        for family in CertificateFamily.allCases {
            _ = try makeIssuing(family, root: root, rootKey: rootKey, settings, now: now, suffix: ".new", tag: tag)
        }
        try write(root.pem, to: path("root.crt"))
    }

    private func makeIssuing(
        _ family: CertificateFamily, root: CACertificate, rootKey: Certificate.PrivateKey, _ settings: CASettings, now: Date,
        suffix: String, tag: String? = nil
    ) throws -> CACertificate {
        let (key, pem): (Certificate.PrivateKey, String)
        if let uri = settings.tokenKeys[family.rawValue] {
            guard settings.issuingKeyType == .p256 else { throw CAFilesError.tokenKeyType(uri: uri.description) }
            (key, pem) = (Certificate.PrivateKey(try PKCS11PrivateKey.findOrGenerate(uri: uri, curve: .p256)), uri.fileText)
        } else {
            (key, pem) = try Self.newIssuingKey(settings.issuingKeyType)
        }
        let tbs = try CAProfile.issuing(
            family: family, key: key.publicKey, root: root, identity: settings.identity,
            tag: tag ?? (0..<2).map { _ in UInt8.random(in: 0...255) }.hexString, endpoints: settings.endpoints, now: now)
        try PreIssuanceLint.require(tbs, issuer: root, now: now)
        let issuing = try CACertificate(try tbs.signed(by: rootKey))
        try SecretFile.write(pem, to: path("\(family.rawValue).key\(suffix)").path)
        try write(issuing.pem, to: path("\(family.rawValue).crt\(suffix)"))
        return issuing
    }

    static func newIssuingKey(_ type: IssuingKeyType) throws -> (Certificate.PrivateKey, String) {
        switch type {
        case .p256:
            let key = P256.Signing.PrivateKey()
            return (Certificate.PrivateKey(key), key.pemRepresentation)
        case .rsa2048:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return (Certificate.PrivateKey(key), key.pemRepresentation)
        }
    }

    /// The certificate `<name>.crt` and its key `<name>.key`, checked to belong together. The key
    /// file holds a PEM key, or a `pkcs11:` URI (RFC 7512) naming a key that stays on a token
    /// (docs/hsm.md); the token's key is opened and checked against the certificate.
    func pair(_ name: String) throws -> (CACertificate, Certificate.PrivateKey) {
        let (certificate, key, _) = try pairWithTokenKey(name)
        return (certificate, key)
    }

    /// ``pair(_:)``, and the key again as a token key when it is one (the key provider watches those).
    func pairWithTokenKey(_ name: String) throws -> (CACertificate, Certificate.PrivateKey, PKCS11PrivateKey?) {
        let certificate = try CACertificate(try Certificate(pemEncoded: read(path("\(name).crt"))))
        let text = try read(path("\(name).key"))
        if isOnToken(name) {
            let tokenKey = try PKCS11PrivateKey(uri: try PKCS11URI(text), publicKey: certificate.certificate.publicKey)
            return (certificate, Certificate.PrivateKey(tokenKey), tokenKey)
        }
        let key = try Self.privateKey(pem: text)
        guard key.publicKey == certificate.certificate.publicKey else {
            throw CAFilesError.keyDoesNotMatch(path: path("\(name).key").path)
        }
        return (certificate, key, nil)
    }

    /// Whether `<name>.key` names a key on a PKCS#11 token rather than holding one.
    private func isOnToken(_ name: String) -> Bool {
        let text = (try? String(contentsOf: path("\(name).key"), encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().hasPrefix("pkcs11:")
    }

    /// Reads a PEM private key (PKCS#8, SEC1 or PKCS#1) of a type a CA may have.
    static func privateKey(pem: String) throws -> Certificate.PrivateKey {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) { return Certificate.PrivateKey(key) }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) { return Certificate.PrivateKey(key) }
        return Certificate.PrivateKey(try _RSA.Signing.PrivateKey(pemRepresentation: pem))
    }

    func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw CAFilesError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    func write(_ text: String, to url: URL) throws {
        do {
            try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: url, options: .atomic)
        } catch {
            throw CAFilesError.cannotWrite(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    func move(_ source: URL, to destination: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            throw CAFilesError.cannotWrite(path: destination.path, reason: String(cString: strerror(errno)))
        }
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
