import ArgumentParser
import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetServer

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key and print it (shown once).")

        @Option(help: "administrator, manager or user.")
        var role: Role

        @Option(help: "A name for the key's user.")
        var name: String

        @Option(help: "The container the key's user belongs to (default: the top container).")
        var container: Int?

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let (key, user) = try await administration.createAPIKey(role: role, name: name, containerID: container)
                FileHandle.standardError.write(Data("created user \(user.id) (\(user.role.rawValue))\n".utf8))
                print(key)
            }
        }
    }
}

extension APIKeyCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API keys: id, key id (the key's public first part), name, role, container, created, last used.")

        @Flag(help: "Print a JSON array.")
        var json = false

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let keys = try await administration.apiKeys()
                if json {
                    print(try JSONOutput.text(keys.map(Self.object)))
                    return
                }
                print("id  key id        role           container  created     last used             status   name")
                for key in keys {
                    let lastUsed = key.lastUsedAt.map(APITime.timestamp) ?? "never"
                    print(
                        "\(key.id)  \(key.lookupID)  \(key.user.role.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))"
                            + "  \(key.user.containerID)  \(APITime.day(key.dateCreated))  \(lastUsed)  "
                            + "\(key.isActive ? "active " : "revoked")  \(key.name)")
                }
            }
        }

        static func object(_ key: APIKeyListing) -> [String: Any] {
            [
                "id": key.id, "key_id": key.lookupID, "name": key.name, "user_id": key.user.id, "role": key.user.role.rawValue,
                "container_id": key.user.containerID, "created": APITime.timestamp(key.dateCreated),
                "last_used": key.lastUsedAt.map(APITime.timestamp) ?? NSNull(), "active": key.isActive,
            ]
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key (by the id `apikey list` shows); it answers 401 within 5 seconds.")

        @Argument(help: "The key's id.")
        var id: Int

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                try await administration.revokeAPIKey(id: id)
                FileHandle.standardError.write(Data("revoked API key \(id)\n".utf8))
            }
        }
    }
}

/// What `--json` prints: one JSON document, keys sorted, for scripts.
enum JSONOutput {
    static func text(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
}

struct OrganizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Organization validation (administrator shortcut).", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an organization validated.")

        @Argument(help: "The organization id.")
        var id: Int

        @Option(help: "ov (default) or ev.")
        var level: ValidationLevelArgument = .ov

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let until = try await administration.validateOrganization(id: id, level: level == .ev ? .ev : .ov)
                print("organization \(id) validated (\(level.rawValue)) until \(until)")
            }
        }
    }
}

struct DomainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "Domain validation (administrator shortcut).", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a domain and the names under it validated, for one container.")

        @Argument(help: "The domain name.")
        var name: String

        @Option(help: "The container whose orders the validation serves (default: the top container).")
        var container: Int?

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let domain = try await administration.validateDomain(name: name, containerID: container)
                print(
                    "domain \(domain.name) validated for container \(domain.containerID) until \(domain.validatedUntil.map { "\($0)" } ?? "-")"
                )
            }
        }
    }
}

struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance", abstract: "The account balance.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add money to the account balance.")

        // Taken as given, so that "-5" is refused as a negative amount rather than read as a flag.
        @Argument(parsing: .allUnrecognized, help: "The amount, e.g. 1000 or 99.50.")
        var given: [String] = []

        @Flag(help: "Print JSON ({\"balance\", \"currency\"}).") var json = false

        @OptionGroup var data: DataOption

        var amount: String { given.first ?? "" }

        func validate() throws {
            guard given.count == 1 else { throw ValidationError("give one amount, e.g. signet balance add 1000") }
            guard let money = Money(decimal: amount) else {
                throw ValidationError("'\(amount)' is not an amount with at most two decimals")
            }
            guard money.cents > 0 else { throw ValidationError("the amount must be more than zero, not \(amount)") }
        }

        func run() async throws {
            guard let money = Money(decimal: amount) else { throw ValidationError("'\(amount)' is not an amount") }
            try await withStore(data) { administration in
                let balance = try await administration.addBalance(money)
                print(
                    json
                        ? try JSONOutput.text(["balance": balance.balance.description, "currency": balance.currency])
                        : "balance: \(balance.balance) \(balance.currency)")
            }
        }
    }
}

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Account settings.", subcommands: [Show.self, Set.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the account's settings.")

        @Flag(help: "Print JSON.") var json = false

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let settings = try await administration.accountSettings()
                guard json else { return AccountCommand.print(settings) }
                Swift.print(
                    try JSONOutput.text([
                        "users_may_skip_approval": settings.usersMaySkipApproval, "approval_step": settings.approvalStep.rawValue,
                        "auto_approve_approvers": settings.autoApproveApprovers,
                    ]))
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the account's settings (CertCentral's approval preferences; docs/behaviour.md).")

        @Option(help: "on: keys with the user role may send skip_approval; off (the default): they may not.")
        var usersMaySkipApproval: Switch?

        @Option(
            help: """
                one-step (the default): requests wait for an administrator or manager; skip: orders, reissues and \
                duplicates of administrators and managers skip approval without skip_approval (users' requests and \
                revocations still wait).
                """)
        var approvalStep: ApprovalStep?

        @Option(help: "on: an administrator's or manager's own request is approved as it is made; off (the default).")
        var autoApproveApprovers: Switch?

        @OptionGroup var data: DataOption

        func validate() throws {
            guard usersMaySkipApproval != nil || approvalStep != nil || autoApproveApprovers != nil else {
                throw ValidationError(
                    "name a setting to change: --users-may-skip-approval, --approval-step or --auto-approve-approvers")
            }
        }

        func run() async throws {
            try await withStore(data) { administration in
                var settings = try await administration.accountSettings()
                if let usersMaySkipApproval { settings.usersMaySkipApproval = usersMaySkipApproval == .on }
                if let approvalStep { settings.approvalStep = approvalStep }
                if let autoApproveApprovers { settings.autoApproveApprovers = autoApproveApprovers == .on }
                try await administration.setAccountSettings(settings)
                AccountCommand.print(settings)
            }
        }
    }

    static func print(_ settings: AccountSettings) {
        Swift.print("users-may-skip-approval: \(settings.usersMaySkipApproval ? "on" : "off")")
        Swift.print("approval-step: \(settings.approvalStep.rawValue)")
        Swift.print("auto-approve-approvers: \(settings.autoApproveApprovers ? "on" : "off")")
    }
}

struct ResellerKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseller-key", abstract: "Manage access keys of the reseller API.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an access key; prints accessKeyId and accessKeySecret (shown once).")

        @Option(help: "A name for the reseller.")
        var name: String

        @Option(help: "The container the reseller's orders go to (default: the top container).")
        var container: Int?

        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let (id, secret) = try await administration.createResellerKey(name: name, containerID: container)
                print("accessKeyId=\(id)")
                print("accessKeySecret=\(secret)")
            }
        }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Show the validation e-mail Signet wrote, newest first.")

    @Option(help: "How many messages to show (1 to 500).")
    var limit: Int = 20

    @Flag(help: "Print a JSON array.") var json = false

    @OptionGroup var data: DataOption

    func validate() throws {
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be 1 to 500") }
    }

    func run() async throws {
        try await withStore(data) { administration in
            let emails = try await administration.outbox(limit: limit)
            if json {
                print(
                    try JSONOutput.text(
                        emails.map {
                            [
                                "id": $0.id, "to": $0.recipient, "name": $0.name, "subject": $0.subject, "body": $0.body,
                                "order_id": $0.orderID ?? NSNull(), "created": APITime.timestamp($0.dateCreated),
                                "sent_at": $0.sentAt.map(APITime.timestamp) ?? NSNull(),
                                "followed_at": $0.followedAt.map(APITime.timestamp) ?? NSNull(),
                            ] as [String: Any]
                        }))
                return
            }
            for email in emails {
                print(
                    "--- #\(email.id) \(email.sentAt == nil ? "not sent" : "sent") \(email.followedAt == nil ? "" : "(followed)")"
                )
                print("To: \(email.recipient)\nSubject: \(email.subject)\n\n\(email.body)\n")
            }
        }
    }
}

struct SeedOrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-orders",
        abstract: "Copy an order many times, to benchmark lists on a large database (bench/run uses it).")

    @Argument(help: "How many copies.")
    var count: Int

    @Option(help: "The order to copy (e.g. one placed by the issuance benchmark).")
    var fromOrder: Int

    @OptionGroup var data: DataOption

    func validate() throws {
        guard count > 0 else { throw ValidationError("COUNT must be positive") }
    }

    func run() async throws {
        try await withStore(data) { administration in
            let started = Date()
            let bar = TerminalProgress(label: "seed-orders")
            let stored = try await administration.seedCopies(ofOrder: fromOrder, count: count) {
                bar.show(Double($0) / Double(count))
            }
            bar.finish()
            print(
                "stored \(stored) copies of order \(fromOrder) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }
}
