import Foundation
import SQLKit
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

extension StoreConnection {
    // MARK: organizations

    public func createOrganization(_ details: OrganizationDetails, containerID: Int, at date: Date) async throws
        -> Organization
    {
        var row = OrganizationRow(
            containerId: containerID, name: details.name, detailsJson: try JSONColumn.encode(details), isActive: true,
            dateCreated: date)
        row.id = try await insert(into: "organizations", row)
        return try row.record()
    }

    public func organization(id: Int) async throws -> Organization? {
        try await sql.select().column("*").from("organizations").where("id", .equal, id)
            .first(decoding: OrganizationRow.self, with: Self.decoder)?.record()
    }

    /// Organizations in the given containers (`nil`: all), by id.
    public func organizations(containerIDs: Set<Int>?) async throws -> [Organization] {
        var query = sql.select().column("*").from("organizations").orderBy("id")
        if let containerIDs { query = query.where("container_id", .in, Array(containerIDs)) }
        return try await query.all(decoding: OrganizationRow.self, with: Self.decoder).map { try $0.record() }
    }

    /// Records that the organization was validated at `level` until `until`.
    public func setOrganizationValidation(id: Int, level: ValidationLevel, until: Date) async throws {
        let column = level == .ev ? "ev_validated_until" : "ov_validated_until"
        var update = sql.update("organizations").set(column, to: until).where("id", .equal, id)
        if level == .ev { update = update.set("ov_validated_until", to: until) }
        try await update.run()
    }
}
