import ArgumentParser
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetServer

#if canImport(Glibc)
import Glibc
#endif

@main
struct Signet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signet",
        abstract: "A self-hosted certificate authority that speaks the DigiCert CertCentral API.",
        version: SignetVersion.current,
        subcommands: [
            Serve.self, Initialize.self, APIKeyCommand.self, ResellerKeyCommand.self, OrganizationCommand.self,
            DomainCommand.self, BalanceCommand.self, AccountCommand.self, CACommand.self, OutboxCommand.self,
            SeedOrdersCommand.self, ContainerCommand.self, ACMECommand.self, BackupCommand.self, RestoreCommand.self,
            CeremonyCommand.self,
        ])

    /// Parses, runs, and reports a failure as a sentence followed by the failing command's usage.
    /// Every file Signet creates is its owner's alone (umask 077): the database and its -wal and
    /// -shm files included.
    static func main() async {
        umask(0o077)
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch let error as ExitCode {
            exit(withError: error)
        } catch  where error is CleanExit || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // `signet help …` and a bare `signet` ask for help: ArgumentParser prints it.
            exit(withError: error)
        } catch {
            let usage = usageString(for: type(of: command))
            FileHandle.standardError.write(Data("Error: \(CommandLineError.sentence(error))\nUsage: \(usage)\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// A failure as the command line shows it: a sentence, never a Swift value or an NSError domain and code.
enum CommandLineError {
    static func sentence(_ error: any Error) -> String {
        let text: String
        if error is CocoaError || type(of: error) is NSError.Type {
            text = (error as NSError).localizedDescription
        } else {
            text = String(describing: error)
        }
        guard let first = text.first else { return "the command failed" }
        var sentence = first.uppercased() + text.dropFirst()
        if !sentence.hasSuffix(".") { sentence += "." }
        return sentence
    }
}
