import Foundation
import SignetCore

struct OrganizationRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var name: String
    var detailsJson: String
    var ovValidatedUntil: Date?
    var evValidatedUntil: Date?
    var isActive: Bool
    var dateCreated: Date

    func record() throws -> Organization {
        Organization(
            id: id ?? 0, containerID: containerId,
            details: try JSONColumn.decode(OrganizationDetails.self, from: detailsJson),
            ovValidatedUntil: ovValidatedUntil, evValidatedUntil: evValidatedUntil, isActive: isActive,
            dateCreated: dateCreated)
    }
}

extension StoreSession {
    // MARK: organizations

    public func organization(id: Int) throws -> Organization? {
        try first(OrganizationRow.self, "SELECT * FROM organizations WHERE id = ?", [id])?.record()
    }

    /// Organizations in the given containers (`nil`: all), by id.
    public func organizations(containerIDs: Set<Int>?) throws -> [Organization] {
        guard let containerIDs else {
            return try all(OrganizationRow.self, "SELECT * FROM organizations ORDER BY id").map { try $0.record() }
        }
        return try all(
            OrganizationRow.self,
            "SELECT * FROM organizations WHERE container_id IN \(Self.list(containerIDs.count)) ORDER BY id",
            Array(containerIDs)
        ).map { try $0.record() }
    }
}

extension StoreSession where Access == ReadWrite {
    public func createOrganization(_ details: OrganizationDetails, containerID: Int, at date: Date) throws -> Organization {
        var row = OrganizationRow(
            containerId: containerID, name: details.name, detailsJson: try JSONColumn.encode(details), isActive: true,
            dateCreated: date)
        row.id = try insert(into: "organizations", row)
        return try row.record()
    }

    /// Records that the organization was validated at `level` until `until` (EV counts as OV too).
    public func setOrganizationValidation(id: Int, level: ValidationLevel, until: Date) throws {
        if level == .ev {
            try execute(
                "UPDATE organizations SET ev_validated_until = ?, ov_validated_until = ? WHERE id = ?", [until, until, id])
        } else {
            try execute("UPDATE organizations SET ov_validated_until = ? WHERE id = ?", [until, id])
        }
    }
}
