import ArgumentParser
import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetServer

extension RevocationReason: ExpressibleByArgument {}

/// `signet ca`: the hierarchy (root, issuing CAs), rotating issuing CAs, revoking retired ones.
struct CACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "The CA hierarchy (docs/pki.md).",
        subcommands: [Show.self, Rotate.self, Revoke.self, Adopt.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the root and the issuing CAs.")

        @Flag(help: "Print JSON.") var json = false

        @OptionGroup var data: DataOption

        func run() async throws {
            guard CAFolder(folder: data.configuration.caDirectory).exists else {
                throw ValidationError("there is no CA in \(data.configuration.caDirectory.path)")
            }
            let authority = try CAFolder(folder: data.configuration.caDirectory).load()
            if json {
                let issuers = authority.issuers.map { issuer -> [String: Any] in
                    [
                        "id": issuer.id, "current": issuer.isCurrent, "families": issuer.families.map(\.rawValue).sorted(),
                        "subject": issuer.ca.subject.description,
                        "not_after": APITime.timestamp(issuer.ca.certificate.notValidAfter),
                    ]
                }
                print(
                    try JSONOutput.text([
                        "root": [
                            "id": authority.root.id, "subject": authority.root.subject.description,
                            "not_after": APITime.timestamp(authority.root.certificate.notValidAfter),
                        ],
                        "issuers": issuers,
                    ]))
                return
            }
            print("root \(authority.root.id)  \(authority.root.subject)  until \(authority.root.certificate.notValidAfter)")
            for issuer in authority.issuers {
                let role = issuer.isCurrent ? issuer.families.map(\.rawValue).sorted().joined(separator: "+") : "retired"
                print("issuing \(issuer.id)  \(role)  \(issuer.ca.subject)  until \(issuer.ca.certificate.notValidAfter)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make new TLS and S/MIME issuing CAs under the root; the current ones retire (restart serve after).")

        @OptionGroup var data: DataOption

        @OptionGroup var pki: PKIOptions

        @Option(help: "The server's --public-url, for the addresses in the new issuing CAs.")
        var publicURL: String?

        func validate() throws {
            if let publicURL { try FlagCheck.baseURL(publicURL, "--public-url") }
        }

        func run() async throws {
            var configuration = data.configuration
            configuration.publicURL = publicURL
            pki.apply(to: &configuration)
            let folder = CAFolder(folder: configuration.caDirectory)
            guard folder.exists else { throw ValidationError("there is no CA in \(configuration.caDirectory.path)") }
            let existing = try folder.load()
            var settings = configuration.caSettings
            settings.issuingKeyType = configuration.issuingKeyType ?? existing.issuer(for: .tls).ca.keyType ?? .p256
            for issuing in try folder.rotate(settings, now: Date()) {
                print("new issuing CA \(issuing.id): \(issuing.subject)")
            }
            print(
                "retired: \(existing.issuers.filter(\.isCurrent).map(\.id).joined(separator: ", ")); restart every `signet serve` of this data folder"
            )
        }
    }

    struct Adopt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "With the root offline: take new issuing CAs and a newer root CRL from ceremony outputs (restart serve after; docs/hsm.md)."
        )

        @Argument(help: "The folder of ceremony outputs: tls.crt and tls.key, smime.crt and smime.key, root.crl (each optional).")
        var folder: String

        @OptionGroup var data: DataOption

        func run() async throws {
            let ca = CAFolder(folder: data.configuration.caDirectory)
            guard ca.exists else { throw ValidationError("there is no CA in \(data.configuration.caDirectory.path)") }
            let taken = try ca.adopt(from: URL(fileURLWithPath: folder))
            guard !taken.isEmpty else { throw ValidationError("\(folder) holds no issuing CA and no root.crl") }
            for line in taken { print("took \(line)") }
            print("restart every `signet serve` of this data folder")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a retired issuing CA: the root's CRL and OCSP list it from now on.")

        @Argument(help: "The issuing CA's id (`signet ca show`).")
        var id: String

        @Option(help: "keyCompromise, cessationOfOperation, superseded, affiliationChanged, privilegeWithdrawn or unspecified.")
        var reason: RevocationReason = .cessationOfOperation

        @OptionGroup var data: DataOption

        func run() async throws {
            try await SignetApp.withCertificateAuthority(configuration: data.configuration) { administration, authority in
                let crl = try await administration.revokeIssuer(id: id.uppercased(), reason: reason, authority: authority)
                print("revoked \(id.uppercased()); root CRL \(crl.number) published")
            }
        }
    }
}

/// `signet ceremony FILE`: a key ceremony, as its description file says (docs/hsm.md).
struct CeremonyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceremony",
        abstract: "Run a key ceremony described in a JSON file: a root, an intermediate or the root's CRL (docs/hsm.md).")

    @Argument(help: "The ceremony description (JSON). Paths in it are relative to its folder.")
    var file: String

    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ValidationError("cannot read \(file): \((error as NSError).localizedDescription)")
        }
        let description = try CeremonyDescription.read(data)
        let transcript = try Ceremony.run(description, folder: url.deletingLastPathComponent(), now: Date())
        if json {
            print(try JSONOutput.text(["type": description.type.rawValue, "outputs": transcript.outputs]))
            return
        }
        for step in transcript.steps {
            let detail = step.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("\(APITime.timestamp(step.at))  \(step.step)\(detail.isEmpty ? "" : "  " + detail)")
        }
        for (role, path) in transcript.outputs.sorted(by: { $0.key < $1.key }) { print("\(role): \(path)") }
    }
}
