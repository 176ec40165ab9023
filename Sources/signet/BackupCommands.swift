import ArgumentParser
import Foundation
import SignetServer

#if canImport(Glibc)
import Glibc
#endif

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite installation, while it serves, into one file: database, CA keys, secrets (docs/operations.md).")

    @Argument(help: "The backup file to write (0600); an existing file is never overwritten.")
    var file: String

    @OptionGroup var data: DataOption

    func run() async throws {
        let bar = ProgressLine(label: "backup")
        let summary = try await InstallationBackup.create(
            configuration: data.configuration, to: URL(fileURLWithPath: file), progress: bar.show)
        bar.finish()
        print("backed up \(summary.files) files (\(summary.bytes) bytes) to \(file)")
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new or empty data folder, checking every file (docs/operations.md).")

    @Argument(help: "The backup file `signet backup` wrote.")
    var file: String

    @Option(name: .customLong("data"), help: "The data folder to restore into; it must not exist or be empty.")
    var folder: String

    func run() async throws {
        let summary = try await InstallationBackup.restore(
            from: URL(fileURLWithPath: file), into: URL(fileURLWithPath: folder))
        print("restored \(summary.files) files into \(folder); start it with: signet serve --data \(folder)")
    }
}

/// A percentage on one terminal line, redrawn in place; nothing when standard error is not a
/// terminal (a log file or a pipe gets only the result).
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var shown = -1

    init(label: String) { self.label = label }

    func show(_ fraction: Double) {
        guard enabled else { return }
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
        lock.withLock {
            guard percent != shown else { return }
            shown = percent
            let filled = percent / 5
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
        }
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
