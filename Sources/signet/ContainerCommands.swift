import ArgumentParser
import Foundation
import SignetCore
import SignetRA

extension NamePolicy.Scope: ExpressibleByArgument {}

/// `signet container …`: containers, their naming policy and pre-authorizations (docs/private-pki.md).
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Containers: naming policy and pre-authorized names (docs/private-pki.md).",
        subcommands: [List.self, Show.self, Create.self, Set.self, Authorize.self, Deauthorize.self])

    static func describe(_ details: ContainerDetails) -> String {
        let container = details.container
        let policy = container.namePolicy
        var lines = [
            "container \(container.id): \(container.name)" + (container.parentID.map { " (under \($0))" } ?? ""),
            "names: \(policy.scope.rawValue)",
        ]
        if policy.isPrivate {
            lines.append("single-label: \(policy.singleLabel ? "on" : "off")")
            lines.append("localhost: \(policy.localhost ? "on" : "off")")
            lines.append("private-targets: \(policy.privateTargets.map(\.description).joined(separator: ","))")
        }
        for preauthorization in details.preauthorizations {
            lines.append(
                "authorized: \(preauthorization.scope) by \(preauthorization.addedBy) on \(APITime.timestamp(preauthorization.dateCreated))"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func object(_ container: Container) -> [String: Any] {
        [
            "id": container.id, "name": container.name, "parent_id": container.parentID ?? NSNull(),
            "names": container.namePolicy.scope.rawValue, "active": container.isActive,
        ]
    }

    static func object(_ details: ContainerDetails) -> [String: Any] {
        var object = self.object(details.container)
        let policy = details.container.namePolicy
        object["single_label"] = policy.singleLabel
        object["localhost"] = policy.localhost
        object["private_targets"] = policy.privateTargets.map(\.description)
        object["preauthorizations"] = details.preauthorizations.map {
            ["scope": $0.scope.description, "added_by": $0.addedBy, "created": APITime.timestamp($0.dateCreated)]
        }
        return object
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the containers: id, name, parent, naming policy.")
        @Flag(help: "Print a JSON array.") var json = false
        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let containers = try await administration.containers()
                if json {
                    print(try JSONOutput.text(containers.map(ContainerCommand.object)))
                    return
                }
                for container in containers {
                    print(
                        "\(container.id)\t\(container.name)\t\(container.parentID.map(String.init) ?? "-")\t\(container.namePolicy.scope.rawValue)"
                    )
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a container's naming policy and pre-authorizations.")
        @Argument(help: "The container's id.") var id: Int
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let details = try await administration.container(id: id)
                print(json ? try JSONOutput.text(ContainerCommand.object(details)) : ContainerCommand.describe(details))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a container (prints its id).")
        @Argument(help: "Its name.") var name: String
        @Option(help: "The container it belongs to (default: the top container).") var parent: Int?
        @Flag(help: "Print JSON ({\"id\", \"name\", \"parent_id\", …}).") var json = false
        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                let container = try await administration.createContainer(name: name, parentID: parent)
                print(json ? try JSONOutput.text(ContainerCommand.object(container)) : String(container.id))
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a container's naming policy: public (the WebPKI's names, the default) or private.")
        @Argument(help: "The container's id.") var id: Int
        @Option(help: "public: public DNS names only; private: internal names and IP addresses too.") var names: NamePolicy.Scope?
        @Option(help: "on: single-label names (private only).") var singleLabel: Switch?
        @Option(help: "on: localhost and names under it (private only).") var localhost: Switch?
        @Option(
            help:
                "Private address blocks HTTP validation of this container's names may reach, comma-separated (10.0.0.0/8,fd00::/8)."
        )
        var privateTargets: String?
        @OptionGroup var data: DataOption

        func validate() throws {
            guard names != nil || singleLabel != nil || localhost != nil || privateTargets != nil else {
                throw ValidationError("name a setting: --names, --single-label, --localhost or --private-targets")
            }
            for block in (privateTargets ?? "").split(separator: ",") where IPRange(String(block)) == nil {
                throw ValidationError("--private-targets: '\(block)' is not an address block such as 10.0.0.0/8 or fd00::/8")
            }
        }

        func run() async throws {
            try await withStore(data) { administration in
                var policy = try await administration.container(id: id).container.namePolicy
                if let names { policy.scope = names }
                if let singleLabel { policy.singleLabel = singleLabel == .on }
                if let localhost { policy.localhost = localhost == .on }
                if let privateTargets {
                    policy.privateTargets = privateTargets.split(separator: ",").compactMap { IPRange(String($0)) }
                }
                try await administration.setNamePolicy(containerID: id, policy)
                print(ContainerCommand.describe(try await administration.container(id: id)))
            }
        }
    }

    struct Authorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Pre-authorize domain suffixes and address blocks for a private container: its orders for names inside are validated at once, and each records this authorization."
        )
        @Argument(help: "The container's id.") var id: Int
        @Argument(help: "Domains (corp.internal) and address blocks (10.0.0.0/8).") var values: [String]
        @Option(help: "Who authorizes (kept with each authorization; default: the operating-system user).") var by: String?
        @OptionGroup var data: DataOption

        func validate() throws {
            guard !values.isEmpty else { throw ValidationError("name at least one domain or address block") }
        }

        func run() async throws {
            let who = by ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
            try await withStore(data) { administration in
                try await administration.authorize(containerID: id, values, addedBy: who)
                print(ContainerCommand.describe(try await administration.container(id: id)))
            }
        }
    }

    struct Deauthorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a pre-authorization.")
        @Argument(help: "The container's id.") var id: Int
        @Argument(help: "The domain or address block.") var value: String
        @OptionGroup var data: DataOption

        func run() async throws {
            try await withStore(data) { administration in
                guard try await administration.deauthorize(containerID: id, value) else {
                    throw ValidationError("container \(id) has no pre-authorization '\(value)'")
                }
                print(ContainerCommand.describe(try await administration.container(id: id)))
            }
        }
    }
}
