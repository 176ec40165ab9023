import ArgumentParser
import Foundation
import SignetServer

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite installation, while it serves, into one file: database, CA keys, secrets (docs/operations.md).")

    @Argument(help: "The backup file to write (0600); an existing file is never overwritten.")
    var file: String

    @OptionGroup var data: DataOption

    func run() async throws {
        let bar = TerminalProgress(label: "backup")
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
        let bar = TerminalProgress(label: "restore")
        let summary = try await InstallationBackup.restore(
            from: URL(fileURLWithPath: file), into: URL(fileURLWithPath: folder), progress: bar.show)
        bar.finish()
        print("restored \(summary.files) files into \(folder); start it with: signet serve --data \(folder)")
    }
}
