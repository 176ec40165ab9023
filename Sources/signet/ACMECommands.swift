import ArgumentParser
import Foundation
import SignetRA

/// `signet acme eab create`: External Account Binding keys for ACME clients (docs/acme.md).
struct ACMECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acme", abstract: "ACME: External Account Binding keys (docs/acme.md).", subcommands: [EAB.self])

    struct EAB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eab", abstract: "External Account Binding keys.", subcommands: [Create.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Create a key an ACME client registers its account with: prints the key id and the HMAC key (shown once). The account belongs to the container."
            )

            @Option(help: "The container the account's orders belong to (default: the top container).")
            var container: Int = 1

            @Option(help: "The product the account's orders are placed for (default: ssl_dv_geotrust_flex).")
            var product: String?

            @Option(help: "The organization (id) the account's OV and EV orders are for; it must be the container's.")
            var organization: Int?

            @Flag(help: "The account's orders wait for an administrator's approval (CertCentral's requests).")
            var requireApproval = false

            @Flag(help: "Print JSON ({\"key_id\", \"hmac_key\"}).")
            var json = false

            @OptionGroup var data: DataOption

            func run() async throws {
                try await withStore(data) { administration in
                    let (keyID, hmacKey) = try await administration.createACMEExternalAccountKey(
                        containerID: container, productNameID: product, organizationID: organization,
                        requiresApproval: requireApproval)
                    if json {
                        print(#"{"key_id":"\#(keyID)","hmac_key":"\#(hmacKey)"}"#)
                    } else {
                        print("key id:   \(keyID)")
                        print("HMAC key: \(hmacKey)")
                    }
                }
            }
        }
    }
}
