import Foundation
import SignetCore

struct PreauthorizationRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var value: String
    var addedBy: String
    var dateCreated: Date

    var record: Preauthorization? {
        guard let scope = Preauthorization.Scope(value) else { return nil }
        return Preauthorization(id: id ?? 0, containerID: containerId, scope: scope, addedBy: addedBy, dateCreated: dateCreated)
    }
}

extension StoreSession {
    /// The pre-authorizations of a container, oldest first.
    public func preauthorizations(containerID: Int) throws -> [Preauthorization] {
        try all(
            PreauthorizationRow.self, "SELECT * FROM preauthorizations WHERE container_id = ? ORDER BY id", [containerID]
        ).compactMap(\.record)
    }
}

extension StoreSession where Access == ReadWrite {
    /// Adds a pre-authorization (a repeat of one the container has changes nothing); returns it.
    @discardableResult
    public func addPreauthorization(
        containerID: Int, _ scope: Preauthorization.Scope, addedBy: String, at date: Date
    ) throws -> Preauthorization {
        if let existing = try preauthorizations(containerID: containerID).first(where: { $0.scope == scope }) {
            return existing
        }
        let row = PreauthorizationRow(containerId: containerID, value: scope.description, addedBy: addedBy, dateCreated: date)
        let id = try insert(into: "preauthorizations", row)
        return Preauthorization(id: id, containerID: containerID, scope: scope, addedBy: addedBy, dateCreated: date)
    }

    /// Removes a pre-authorization; `false` when the container had none such.
    public func removePreauthorization(containerID: Int, _ scope: Preauthorization.Scope) throws -> Bool {
        guard try preauthorizations(containerID: containerID).contains(where: { $0.scope == scope }) else { return false }
        try execute("DELETE FROM preauthorizations WHERE container_id = ? AND value = ?", [containerID, scope.description])
        return true
    }
}
