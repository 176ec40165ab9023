import Foundation
import SignetCore
import X509

/// A CA made in key ceremonies (docs/hsm.md): installed into a new data folder without its root's
/// key, and later ceremonies' outputs taken in.
extension CAFolder {
    /// Installs a CA made in ceremonies (docs/hsm.md) into this empty folder: from `source`, the
    /// root's certificate and CRL (never its key, which stays offline) and each issuing CA's
    /// certificate and key file. Loading it then checks that each key is its certificate's and
    /// that the root signed the CRL.
    public func install(from source: URL) throws -> CertificateAuthority {
        guard !exists else {
            throw CAFilesError.cannotWrite(path: folder.path, reason: "a CA is there already; install into a new data folder")
        }
        guard !FileManager.default.fileExists(atPath: source.appendingPathComponent("root.key").path) else {
            throw CAFilesError.unreadable(
                path: source.appendingPathComponent("root.key").path,
                reason: "the root's key stays offline: install from a folder without root.key")
        }
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // The root's certificate last: `exists` looks at it.
        let names =
            ["root.crl"] + CertificateFamily.allCases.flatMap { ["\($0.rawValue).key", "\($0.rawValue).crt"] } + ["root.crt"]
        for name in names {
            let from = source.appendingPathComponent(name)
            if name.hasSuffix(".crl") {
                do {
                    try Data(contentsOf: from).write(to: path(name), options: .atomic)
                } catch {
                    throw CAFilesError.cannotWrite(path: path(name).path, reason: (error as NSError).localizedDescription)
                }
            } else if name.hasSuffix(".key") {
                try SecretFile.write(try read(from), to: path(name).path)
            } else {
                try write(try read(from), to: path(name))
            }
        }
        do {
            return try load()
        } catch {
            // Outputs that do not hang together leave no CA behind: the operator fixes them and runs again.
            for name in names { unlink(path(name).path) }
            throw error
        }
    }

    /// Takes later ceremonies' outputs into a CA whose root is offline: from `source`, new issuing
    /// CAs (`tls.crt` and `tls.key`, `smime.crt` and `smime.key`, each pair optional), which retire
    /// the current ones as a rotation does, and a newer `root.crl`. Each is checked before anything
    /// moves: an issuing CA is the root's and its key its own, the CRL is the root's and its number
    /// larger than the installed one's. Returns what was taken, in words.
    public func adopt(from source: URL) throws -> [String] {
        guard isRootOffline else {
            throw CAFilesError.unreadable(
                path: path("root.key").path, reason: "the root is online: `signet ca rotate` makes issuing CAs")
        }
        let current = try load()
        var taken: [String] = []
        let staging = CAFolder(folder: folder.appendingPathComponent("adopting"))
        try? FileManager.default.removeItem(at: staging.folder)
        try FileManager.default.createDirectory(
            at: staging.folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: staging.folder) }
        var families: [CertificateFamily] = []
        for family in CertificateFamily.allCases
        where FileManager.default.fileExists(atPath: source.appendingPathComponent("\(family.rawValue).crt").path) {
            try staging.write(
                try read(source.appendingPathComponent("\(family.rawValue).crt")), to: staging.path("\(family.rawValue).crt"))
            try SecretFile.write(
                try read(source.appendingPathComponent("\(family.rawValue).key")), to: staging.path("\(family.rawValue).key").path
            )
            let (issuing, _) = try staging.pair(family.rawValue)
            guard current.root.certificate.publicKey.isValidSignature(issuing.certificate.signature, for: issuing.certificate)
            else {
                throw CAFilesError.unreadable(
                    path: source.appendingPathComponent("\(family.rawValue).crt").path, reason: "not issued by this root")
            }
            families.append(family)
        }
        var crl: CeremonyCRL?
        let crlSource = source.appendingPathComponent("root.crl")
        if FileManager.default.fileExists(atPath: crlSource.path) {
            let parsed = try CeremonyCRL(Array(try Data(contentsOf: crlSource)), root: current.root)
            guard parsed.number > current.offlineRootCRL?.number ?? 0 else {
                throw CAFilesError.unreadable(
                    path: crlSource.path,
                    reason:
                        "its number \(parsed.number) is not above the installed CRL's; run a CRL ceremony with a larger crl_number"
                )
            }
            crl = parsed
        }
        try FileManager.default.createDirectory(
            at: retired, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for family in families {
            let (old, _) = try pair(family.rawValue)
            for ext in ["key", "crt"] {
                try move(path("\(family.rawValue).\(ext)"), to: retired.appendingPathComponent("\(old.id).\(ext)"))
                try move(staging.path("\(family.rawValue).\(ext)"), to: path("\(family.rawValue).\(ext)"))
            }
            taken.append("issuing CA for \(family.rawValue) (\(old.id) retired)")
        }
        if let crl {
            do {
                try Data(crl.der).write(to: path("root.crl"), options: .atomic)
            } catch {
                throw CAFilesError.cannotWrite(path: path("root.crl").path, reason: (error as NSError).localizedDescription)
            }
            taken.append("the root's CRL number \(crl.number)")
        }
        _ = try load()
        return taken
    }

    /// Whether the root stays offline: the folder has its CRL from a ceremony and no key.
    public var isRootOffline: Bool {
        !FileManager.default.fileExists(atPath: path("root.key").path)
            && FileManager.default.fileExists(atPath: path("root.crl").path)
    }
}
