import Foundation
import Logging
import SignetStore

#if canImport(Glibc)
import Glibc
#endif

/// `signet backup FILE` and `signet restore FILE --data DIR` (docs/operations.md): one file that
/// holds a SQLite installation whole, taken while it serves. It is a tar archive of the database
/// (SQLite's online backup, consistent at one moment), every other file of the data folder (the CA
/// keys and certificates, the sealing key, the administrator's key, the listener's TLS files) and
/// a manifest of their SHA-256 digests, which a restore checks before it reports success.
public enum InstallationBackup {
    public struct Summary: Sendable {
        public var files: Int
        public var bytes: Int
    }

    public enum Failure: Error, CustomStringConvertible {
        case postgres
        case exists(String)
        case notEmpty(String)
        case damaged(String)

        public var description: String {
            switch self {
            case .postgres:
                return
                    "signet backup copies SQLite installations; for PostgreSQL use pg_dump and copy the data folder (docs/operations.md)"
            case .exists(let path): return "\(path) exists; a backup never overwrites a file: choose another name"
            case .notEmpty(let path): return "\(path) is not empty; restore into a new or empty folder"
            case .damaged(let reason): return "the backup is damaged: \(reason); nothing was restored"
            }
        }
    }

    static let manifestName = "signet-backup.json"
    static let databaseName = "signet.sqlite"
    /// Files of a data folder that are not part of an installation's state.
    static let skipped: Set<String> = [
        "signet.sqlite", "signet.sqlite-wal", "signet.sqlite-shm", "serving.lock", "startup.lock",
    ]

    /// Writes the backup of the installation `configuration` names to `file` (0600).
    /// `progress` gets a fraction from 0 to 1 of the work done.
    public static func create(
        configuration: SignetConfiguration, to file: URL, progress: @escaping @Sendable (Double) -> Void
    ) async throws -> Summary {
        guard configuration.databaseURL == nil else { throw Failure.postgres }
        guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
            throw DataFolderError.missing(path: configuration.dataDirectory.path)
        }
        guard !FileManager.default.fileExists(atPath: file.path) else { throw Failure.exists(file.path) }
        let work = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).partial")
        try FileManager.default.createDirectory(
            at: work, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: work) }

        let database = work.appendingPathComponent(databaseName)
        let store = try await SignetStore.sqlite(path: configuration.databasePath)
        do {
            try await store.backup(toFile: database.path) { done, total in
                progress(total > 0 ? 0.8 * Double(done) / Double(total) : 0)
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()

        let others = try folderFiles(configuration.dataDirectory)
        let archivePath = work.appendingPathComponent("archive.tar")
        guard FileManager.default.createFile(atPath: archivePath.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else { throw Failure.damaged("cannot write \(archivePath.path)") }
        let archive = try FileHandle(forWritingTo: archivePath)
        let now = Date()
        var digests: [String: String] = [:]
        var bytes = 0
        do {
            digests[databaseName] = try TarArchive.append(database, as: databaseName, to: archive, modified: now) { bytes += $0 }
            for (index, relative) in others.enumerated() {
                digests[relative] = try TarArchive.append(
                    configuration.dataDirectory.appendingPathComponent(relative), as: relative, to: archive, modified: now
                ) { bytes += $0 }
                progress(0.8 + 0.2 * Double(index + 1) / Double(max(others.count, 1)))
            }
            let manifest = work.appendingPathComponent(manifestName)
            let object: [String: Any] = [
                "format": "signet-backup/1", "created": ISO8601DateFormatter().string(from: now), "sha256": digests,
            ]
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]).write(to: manifest)
            try TarArchive.append(manifest, as: manifestName, to: archive, modified: now)
            try TarArchive.finish(archive)
            try archive.synchronize()
            try archive.close()
        } catch {
            try? archive.close()
            throw error
        }
        // Renamed into place only when whole: a FILE that exists is a complete backup.
        guard rename(archivePath.path, file.path) == 0 else {
            throw Failure.damaged("cannot move the backup to \(file.path): \(String(cString: strerror(errno)))")
        }
        progress(1)
        return Summary(files: digests.count, bytes: bytes)
    }

    /// Restores the backup `file` into `folder`, which must not exist or be empty; checks every
    /// file against the manifest and the database's schema before it reports success, and leaves
    /// nothing behind when it fails.
    public static func restore(
        from file: URL, into folder: URL, progress: @escaping @Sendable (Double) -> Void = { _ in }
    ) async throws -> Summary {
        var isDirectory: ObjCBool = false
        let existed = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        if existed {
            guard isDirectory.boolValue, try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty else {
                throw Failure.notEmpty(folder.path)
            }
        } else {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        do {
            let summary = try await extractAndCheck(file, into: folder, progress: progress)
            return summary
        } catch {
            if existed {
                for item in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
                    try? FileManager.default.removeItem(at: folder.appendingPathComponent(item))
                }
            } else {
                try? FileManager.default.removeItem(at: folder)
            }
            throw error
        }
    }

    private static func extractAndCheck(
        _ file: URL, into folder: URL, progress: @escaping @Sendable (Double) -> Void
    ) async throws -> Summary {
        let archive = try FileHandle(forReadingFrom: file)
        defer { try? archive.close() }
        let total = Double(max(try archive.seekToEnd(), 1))
        try archive.seek(toOffset: 0)
        var bytes = 0
        let digests: [String: String]
        do {
            digests = try TarArchive.extract(archive) { path, size in
                progress(min(1, Double(bytes) / total))
                bytes += size
                let target = folder.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
                guard !FileManager.default.fileExists(atPath: target.path),
                    FileManager.default.createFile(atPath: target.path, contents: nil, attributes: [.posixPermissions: 0o600])
                else { throw Failure.damaged("it names \(path) twice") }
                return try FileHandle(forWritingTo: target)
            }
        } catch let problem as TarArchive.Problem {
            throw Failure.damaged(problem.description)
        }
        let manifestFile = folder.appendingPathComponent(manifestName)
        guard let data = try? Data(contentsOf: manifestFile),
            let manifest = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            manifest["format"] as? String == "signet-backup/1", let expected = manifest["sha256"] as? [String: String]
        else { throw Failure.damaged("it has no manifest") }
        try FileManager.default.removeItem(at: manifestFile)
        var found = digests
        found[manifestName] = nil
        guard found == expected else {
            let wrong = Set(found.keys).union(expected.keys).filter { found[$0] != expected[$0] }.sorted()
            throw Failure.damaged("\(wrong.joined(separator: ", ")) differ from the manifest")
        }
        let store = try await SignetStore.sqlite(path: folder.appendingPathComponent(databaseName).path)
        let whole = (try? await store.hasSchema()) ?? false
        await store.close()
        guard whole else { throw Failure.damaged("its database holds no Signet schema") }
        progress(1)
        return Summary(files: expected.count, bytes: bytes)
    }

    /// The data folder's files other than the live database and locks, as relative paths, sorted.
    static func folderFiles(_ folder: URL) throws -> [String] {
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        let base = folder.standardizedFileURL.path + "/"
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(base) else { continue }
            let relative = String(path.dropFirst(base.count))
            guard !skipped.contains(relative), !relative.hasSuffix(".partial") else { continue }
            files.append(relative)
        }
        return files.sorted()
    }
}
