import Foundation
import Logging
import SignetPKI

#if canImport(Glibc)
import Glibc
#endif

/// Why a data folder cannot be used as it is.
public enum DataFolderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An administrative command named a folder that holds no installation.
    case missing(path: String)
    /// The folder's CA exists, but the database is empty: it would start a second life beside the CA.
    case emptyDatabase(dataFolder: String, database: String)
    case unusable(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return """
                there is no Signet installation in \(path). Check --data (or SIGNET_DATA); to create one, run \
                `signet init --data \(path)` or `signet serve --data \(path)`.
                """
        case .emptyDatabase(let folder, let database):
            return """
                the data folder \(folder) holds a CA that has issued certificates, but the database \(database) is empty. \
                A SQLite database copied without its -wal file looks like this. Restore the database together with its \
                -wal file (or `signet restore` a `signet backup` file); to start a new CA instead, move \(folder)/ca away first.
                """
        case .unusable(let path, let reason):
            return "cannot use \(path): \(reason)"
        }
    }
}

/// The data folder: database, CA files, secrets. Only `serve` and `init` create one; every file in
/// it is readable by its owner alone (folders 0700, files 0600), tightened at each start.
enum DataFolder {
    /// Makes sure the folder exists (creating it only when `create`) and that nothing in it is
    /// readable by others; logs what it tightened.
    static func prepare(_ configuration: SignetConfiguration, create: Bool, logger: Logger) throws {
        let folder = configuration.dataDirectory
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue { throw DataFolderError.unusable(path: folder.path, reason: "it is not a folder") }
        if !exists {
            guard create else { throw DataFolderError.missing(path: folder.path) }
            do {
                try FileManager.default.createDirectory(
                    at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw DataFolderError.unusable(path: folder.path, reason: Self.sentence(error))
            }
        } else if !create, configuration.databaseURL == nil,
            !FileManager.default.fileExists(atPath: configuration.databasePath)
        {
            throw DataFolderError.missing(path: folder.path)
        }
        let tightened = try tightenPermissions(folder)
        if !tightened.isEmpty {
            logger.notice("tightened permissions in \(folder.path) to its owner alone: \(tightened.joined(separator: ", "))")
        }
    }

    /// Sets 0700 on the folder and its subfolders and 0600 on every file; returns what changed, as `name 0644→0600`.
    static func tightenPermissions(_ folder: URL) throws -> [String] {
        var changed: [String] = []
        func tighten(_ path: String, to wanted: mode_t, name: String) throws {
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            guard info.st_mode & S_IFMT != S_IFLNK else { return }
            let current = info.st_mode & 0o777
            guard current != wanted else { return }
            guard chmod(path, wanted) == 0 else {
                throw DataFolderError.unusable(path: path, reason: String(cString: strerror(errno)))
            }
            changed.append("\(name) \(String(current, radix: 8))→\(String(wanted, radix: 8))")
        }
        try tighten(folder.path, to: 0o700, name: ".")
        let entries = FileManager.default.enumerator(atPath: folder.path)
        while let relative = entries?.nextObject() as? String {
            let path = folder.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            try tighten(path, to: isDirectory.boolValue ? 0o700 : 0o600, name: relative)
        }
        return changed
    }

    /// Whether the folder holds a CA (its issuing certificate).
    static func holdsCertificateAuthority(_ configuration: SignetConfiguration) -> Bool {
        CAFolder(folder: configuration.caDirectory).exists
    }

    /// An error of the file system as a sentence (Foundation's own text, not its domain and code).
    static func sentence(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
