import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Containers are separate teams: what one validated, named, keyed or was sent is invisible to the
/// other, and every answer reads as if the other team's objects did not exist (certcentral.md 10).
@Suite("Container isolation")
struct ContainerIsolationTests {
    /// A second team: a container below the top one, with its administrator's key and a validated organization.
    struct Team {
        let containerID: Int
        let adminKey: String
        let organizationID: Int
    }

    static func secondTeam(_ signet: TestSignet) async throws -> Team {
        let container = try await signet.store.write {
            try $0.createContainer(name: "Team B", parentID: 1, at: Date())
        }
        let (key, _) = try await signet.administration.createAPIKey(
            role: .administrator, name: "team-b", containerID: container.id)
        let organization = try await signet.call(.POST, "organization", key: key, json: TestData.organization(name: "Team B Inc"))
        let organizationID = try #require(organization.json["id"] as? Int, "\(organization.text)")
        try await signet.administration.validateOrganization(id: organizationID, level: .ov)
        return Team(containerID: container.id, adminKey: key, organizationID: organizationID)
    }

    /// An ssl_basic order for `names` with skip_approval, without contacts that name users.
    static func order(
        _ names: [String], organizationID: Int, alternativeOrderID: String? = nil, comments: String = "x"
    )
        throws -> [String: Any]
    {
        var body = TestData.secureSiteOrder(
            csr: try TestData.csr(), organizationID: organizationID, commonName: names[0], dnsNames: Array(names.dropFirst()))
        body["organization"] = ["id": organizationID]
        body["comments"] = comments
        if let alternativeOrderID { body["alternative_order_id"] = alternativeOrderID }
        return body
    }

    @Test("A domain validated by one container does not let another order that name or a name under it")
    func validationsStayInTheirContainer() async throws {
        try await withSignet { signet in
            let teamA = try await signet.prepareAccount(domains: ["shared.com"])
            let teamB = try await Self.secondTeam(signet)
            let mine = try await signet.call(
                .POST, "order/certificate/ssl_basic", json: try Self.order(["www.shared.com"], organizationID: teamA))
            #expect(
                (mine.json["certificate_chain"] as? [Any])?.count == 3, "the container that validated is issued: \(mine.text)")

            for names in [["shared.com"], ["www.shared.com"], ["deep.api.shared.com"]] {
                let other = try await signet.call(
                    .POST, "order/certificate/ssl_basic", key: teamB.adminKey,
                    json: try Self.order(names, organizationID: teamB.organizationID))
                #expect(other.status == .created, "\(other.text)")
                #expect(
                    other.json["certificate_chain"] == nil,
                    "team B must not borrow team A's validation of shared.com: \(other.text)")
                let id = try #require(other.json["id"] as? Int)
                let info = try await signet.call(.GET, "order/certificate/\(id)", key: teamB.adminKey)
                #expect(info.json["status"] as? String == "pending")
            }
            // Team B's own validation counts for team B only.
            try await signet.administration.validateDomain(name: "shared.com", containerID: teamB.containerID)
            let now = try await signet.call(
                .POST, "order/certificate/ssl_basic", key: teamB.adminKey,
                json: try Self.order(["shop.shared.com"], organizationID: teamB.organizationID))
            #expect((now.json["certificate_chain"] as? [Any])?.count == 3, "\(now.text)")
        }
    }

    @Test("The domains API: each container adds and sees its own domains; nothing names the other's")
    func domainsAreTheContainersOwn() async throws {
        try await withSignet { signet in
            _ = try await signet.prepareAccount(domains: [])
            let teamB = try await Self.secondTeam(signet)
            let added = try await signet.call(.POST, "domain", json: ["name": "taken.com", "dcv_method": "dns-txt-token"])
            let idA = try #require(added.json["id"] as? Int, "\(added.text)")
            let again = try await signet.call(.POST, "domain", json: ["name": "taken.com", "dcv_method": "dns-txt-token"])
            #expect(again.errorCode == "duplicate_domain|taken.com", "the same container is told: \(again.text)")

            let theirs = try await signet.call(
                .POST, "domain", key: teamB.adminKey, json: ["name": "taken.com", "dcv_method": "dns-txt-token"])
            #expect(theirs.status == .created, "another container's domain is invisible: \(theirs.text)")
            #expect(!theirs.text.contains(String(idA)) || theirs.json["id"] as? Int != idA)
            let listB = try #require(
                try await signet.call(.GET, "domain", key: teamB.adminKey).json["domains"] as? [[String: Any]])
            #expect(listB.count == 1 && listB.allSatisfy { $0["id"] as? Int != idA })
            #expect(try await signet.call(.GET, "domain/\(idA)", key: teamB.adminKey).status == .notFound)
        }
    }

    @Test("alternative_order_id and replayed bodies are per container: another's key or body is a new order, not a 409 or theirs")
    func idempotencyKeysArePerContainer() async throws {
        try await withSignet { signet in
            let teamA = try await signet.prepareAccount(domains: ["a-team.com"])
            let teamB = try await Self.secondTeam(signet)
            try await signet.administration.validateDomain(name: "a-team.com", containerID: teamB.containerID)
            let bodyA = try Self.order(["www.a-team.com"], organizationID: teamA, alternativeOrderID: "K-42")
            let first = try await signet.call(.POST, "order/certificate/ssl_basic", json: bodyA)
            let firstID = try #require(first.json["id"] as? Int)

            var replayed = bodyA
            replayed["organization"] = ["id": teamB.organizationID]
            let sameKey = try await signet.call(.POST, "order/certificate/ssl_basic", key: teamB.adminKey, json: replayed)
            #expect(sameKey.status == .created, "\(sameKey.text)")
            let secondID = try #require(sameKey.json["id"] as? Int)
            #expect(secondID != firstID, "another container's key must not return its order")
            let repeatB = try await signet.call(.POST, "order/certificate/ssl_basic", key: teamB.adminKey, json: replayed)
            #expect(repeatB.json["id"] as? Int == secondID, "the same container's retry returns its own order")
            var differentBody = replayed
            differentBody["comments"] = "another body"
            let conflict = try await signet.call(.POST, "order/certificate/ssl_basic", key: teamB.adminKey, json: differentBody)
            #expect(conflict.status == .conflict)
            let errors = try #require(conflict.json["errors"] as? [[String: Any]], "\(conflict.text)")
            #expect(errors.allSatisfy { !($0["message"] as? String ?? "").contains(String(firstID)) }, "\(conflict.text)")

            let alternates = try #require(
                try await signet.call(.GET, "order/alternate/K-42", key: teamB.adminKey).json["orders"] as? [[String: Any]])
            #expect(alternates.map { $0["order_id"] as? Int } == [secondID])
            let fromTop = try #require(try await signet.call(.GET, "order/alternate/K-42").json["orders"] as? [[String: Any]])
            #expect(Set(fromTop.compactMap { $0["order_id"] as? Int }) == [firstID, secondID], "the top container sees both")
        }
    }

    @Test("A sub-container's administrator sees its own orders, requests and outbox only")
    func subContainerAdministratorIsScoped() async throws {
        try await withSignet { signet in
            let teamA = try await signet.prepareAccount(domains: [])
            let teamB = try await Self.secondTeam(signet)
            let topOrder = try await signet.call(
                .POST, "order/certificate/ssl_basic", json: try Self.order(["www.top-secret.com"], organizationID: teamA))
            let topID = try #require(topOrder.json["id"] as? Int)
            #expect(try await signet.call(.GET, "order/certificate/\(topID)", key: teamB.adminKey).status == .notFound)
            let list = try await signet.call(.GET, "order/certificate", key: teamB.adminKey)
            #expect((list.json["orders"] as? [Any])?.isEmpty == true, "\(list.text)")
            let outbox = try #require(
                try await signet.call(.GET, "outbox", key: teamB.adminKey).json["messages"] as? [[String: Any]])
            #expect(outbox.isEmpty, "team B must not read team A's validation links")
            let requests = try await signet.call(.GET, "request", key: teamB.adminKey)
            #expect((requests.json["requests"] as? [Any])?.isEmpty == true)
            #expect(try await signet.call(.GET, "organization/\(teamA)", key: teamB.adminKey).status == .notFound)
            let containers = try #require(
                try await signet.call(.GET, "container", key: teamB.adminKey).json["containers"] as? [[String: Any]])
            #expect(containers.map { $0["id"] as? Int } == [teamB.containerID])
        }
    }

    @Test("A contact may name only a user the caller can see; another team's user or the administrator is a 400")
    func contactsNameVisibleUsersOnly() async throws {
        try await withSignet { signet in
            _ = try await signet.prepareAccount(domains: [])
            let teamB = try await Self.secondTeam(signet)
            try await signet.administration.validateDomain(name: "b-team.com", containerID: teamB.containerID)
            var body = try Self.order(["www.b-team.com"], organizationID: teamB.organizationID)
            body["organization"] = [
                "id": teamB.organizationID, "contacts": [["contact_type": "technical_contact", "user_id": 1]],
            ]
            let leaked = try await signet.call(.POST, "order/certificate/ssl_basic", key: teamB.adminKey, json: body)
            #expect(leaked.status == .badRequest)
            #expect(leaked.errorCode == "invalid_value:organization.contacts.user_id")
            #expect(!leaked.text.contains("admin@signet.invalid") && !leaked.text.contains("Administrator"))
            #expect(try await signet.orderCount() == 0, "nothing was stored")
        }
    }
}
