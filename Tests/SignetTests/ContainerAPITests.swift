import Foundation
import Testing

@testable import SignetTestSupport

/// Containers as CertCentral has them, over the API and the CLI, and every `--json` output parsed.
@Suite("Containers and --json")
struct ContainerAPITests {
    @Test("POST /container/{id}/children makes a team below; GET /container shows the tree; only administrators create")
    func childContainers() async throws {
        let (signet, root) = try await OperationsTests.serve()
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let admin = LiveClient(base: signet.base, key: try signet.adminKey)
        let me = try await admin.call(.GET, "user/me")
        let top = try #require((me.json["container"] as? [String: Any])?["id"] as? Int, "\(me.text)")
        let created = try await admin.call(.POST, "container/\(top)/children", json: ["name": "Team A", "template_id": 5])
        #expect(created.status == .created, "\(created.text)")
        let teamA = try #require(created.json["id"] as? Int)
        let below = try await admin.call(.POST, "container/\(teamA)/children", json: ["name": "Team A1"])
        let teamA1 = try #require(below.json["id"] as? Int, "\(below.text)")

        let tree = try #require(try await admin.call(.GET, "container").json["containers"] as? [[String: Any]])
        let parents = Dictionary(
            uniqueKeysWithValues: tree.compactMap { c in (c["id"] as? Int).map { ($0, c["parent_id"] as? Int) } })
        #expect(parents[teamA] == top && parents[teamA1] == teamA, "\(tree)")
        let children = try await admin.call(.GET, "container/\(top)/children").json["containers"] as? [[String: Any]]
        #expect(children?.compactMap { $0["id"] as? Int } == [teamA], "\(children ?? [])")

        let missing = try await admin.call(.POST, "container/\(top)/children", json: [:])
        #expect(missing.status == .badRequest, "\(missing.text)")
        let user = try await signet.administer(["apikey", "create", "--role", "user", "--name", "u"])
        let userClient = LiveClient(base: signet.base, key: user.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try await userClient.call(.POST, "container/\(top)/children", json: ["name": "X"]).status == .forbidden)
        let teamAdmin = try await signet.administer([
            "apikey", "create", "--role", "administrator", "--name", "a", "--container", String(teamA1),
        ])
        let teamClient = LiveClient(base: signet.base, key: teamAdmin.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try await teamClient.call(.POST, "container/\(top)/children", json: ["name": "X"]).status == .notFound)
        #expect(try await teamClient.call(.POST, "container/\(teamA1)/children", json: ["name": "Y"]).status == .created)
    }

    @Test("Every command that prints data prints JSON with --json")
    func jsonOutputs() async throws {
        let (signet, root) = try await OperationsTests.serve()
        defer {
            signet.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let created = try await signet.administer(["container", "create", "Ops", "--json"])
        let container = try #require(Self.object(created.output)?["id"] as? Int, "\(created.output) \(created.error)")
        let commands: [[String]] = [
            ["container", "list", "--json"], ["container", "show", String(container), "--json"], ["account", "show", "--json"],
            ["outbox", "--json"], ["ca", "show", "--json"], ["balance", "add", "10", "--json"], ["apikey", "list", "--json"],
            ["acme", "eab", "create", "--json"],
        ]
        for command in commands {
            let result = try await signet.administer(command)
            #expect(result.status == 0, "\(command): \(result.error)")
            let parsed = try? JSONSerialization.jsonObject(with: Data(result.output.utf8))
            #expect(parsed != nil, "\(command) printed: \(result.output)")
        }
        let shown = Self.object(try await signet.administer(["container", "show", String(container), "--json"]).output)
        #expect(shown?["name"] as? String == "Ops" && shown?["names"] as? String == "public", "\(shown ?? [:])")
        let ca = Self.object(try await signet.administer(["ca", "show", "--json"]).output)
        #expect((ca?["issuers"] as? [Any])?.count == 2 && ca?["root"] is [String: Any], "\(ca ?? [:])")
        let balance = Self.object(try await signet.administer(["balance", "add", "5", "--json"]).output)
        #expect(balance?["balance"] as? String == "15.00", "\(balance ?? [:])")
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}
