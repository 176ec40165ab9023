import Foundation
import SignetCore
import SignetStore

/// A container as an operator sees it: its naming policy and its pre-authorizations.
public struct ContainerDetails: Sendable {
    public let container: Container
    public let preauthorizations: [Preauthorization]
}

/// The operator's commands on containers (docs/private-pki.md): create one, set its naming policy,
/// and pre-authorize names and addresses for a private one.
extension Administration {
    public func containers() async throws -> [Container] {
        try await store.read { try $0.containers() }
    }

    public func container(id: Int) async throws -> ContainerDetails {
        try await store.read { connection in
            guard let container = try connection.container(id: id) else { throw WorkflowError.containerNotFound(id) }
            return ContainerDetails(container: container, preauthorizations: try connection.preauthorizations(containerID: id))
        }
    }

    /// A new container under `parentID` (the top container by default).
    public func createContainer(name: String, parentID: Int?) async throws -> Container {
        let trimmed = name.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 128 else {
            throw OrderRuleError.invalidValue(field: "name", reason: "a container's name holds 1 to 128 characters")
        }
        let now = clock.now()
        return try await store.write { connection in
            let parent: Int
            if let parentID {
                guard try connection.container(id: parentID) != nil else { throw WorkflowError.containerNotFound(parentID) }
                parent = parentID
            } else {
                guard let top = try connection.containers().first(where: { $0.parentID == nil }) else {
                    throw StoreError.inconsistent("no container: the database was not bootstrapped")
                }
                parent = top.id
            }
            return try connection.createContainer(name: trimmed, parentID: parent, at: now)
        }
    }

    /// Sets a container's naming policy. A container going back to `public` keeps its
    /// pre-authorizations on record, but they count for nothing while it is public.
    public func setNamePolicy(containerID: Int, _ policy: NamePolicy) async throws {
        try await store.write { connection in
            guard try connection.container(id: containerID) != nil else { throw WorkflowError.containerNotFound(containerID) }
            try connection.setNamePolicy(containerID: containerID, policy)
        }
    }

    /// Pre-authorizes domain suffixes and address blocks for a private container, recorded with
    /// `addedBy` and the time. Refused for a public container: the public double validates names.
    @discardableResult
    public func authorize(containerID: Int, _ values: [String], addedBy: String) async throws -> [Preauthorization] {
        let now = clock.now()
        return try await store.write { connection in
            guard let container = try connection.container(id: containerID) else {
                throw WorkflowError.containerNotFound(containerID)
            }
            guard container.namePolicy.isPrivate else {
                throw OrderRuleError.invalidValue(
                    field: "container",
                    reason:
                        "container \(containerID) has the public naming policy: pre-authorizations are for private containers (signet container set \(containerID) --names private); public names are validated"
                )
            }
            return try values.map { value in
                guard let scope = Preauthorization.Scope(value, policy: container.namePolicy) else {
                    throw OrderRuleError.invalidValue(
                        field: "value",
                        reason: "'\(value)' is neither a domain this container may use nor an address block such as 10.0.0.0/8")
                }
                return try connection.addPreauthorization(containerID: containerID, scope, addedBy: addedBy, at: now)
            }
        }
    }

    /// Withdraws a pre-authorization (orders validated by it stay as they were recorded).
    public func deauthorize(containerID: Int, _ value: String) async throws -> Bool {
        guard let scope = Preauthorization.Scope(value) else {
            throw OrderRuleError.invalidValue(field: "value", reason: "'\(value)' is neither a domain nor an address block")
        }
        return try await store.write { try $0.removePreauthorization(containerID: containerID, scope) }
    }
}
