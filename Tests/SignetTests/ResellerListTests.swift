import Foundation
import SignetCore
import Testing

@testable import SignetTestSupport

/// `certificate/list` as reseller.md 5.2 describes it: the caller's orders only, newest first,
/// Laravel-style pages, and the status and keyword filters, all chosen in the database.
@Suite("Reseller order list")
struct ResellerListTests {
    @Test(
        "Pages newest first; status issued/issuing/expiring/expired and keyword filter; another key sees none; bad filters are refused"
    )
    func listFilters() async throws {
        try await withSignet(dcv: .alwaysValid) { signet in
            let client = try await ResellerTests.start(signet)
            let zone = TestDNS.uniqueZone()
            var serviceIDs: [String] = []
            for (index, label) in ["alpha", "bravo", "charlie"].enumerated() {
                let name = "\(label).\(zone)"
                let created = try await client.call(
                    "certificate/create",
                    ResellerTests.createBody(
                        zone: zone, csr: try TestData.csr(commonName: name), uniqueID: "list-\(index)", choices: [name: "dns"]))
                #expect(created.success, "\(created.text)")
                serviceIDs.append(try #require(created.data["service_id"] as? String))
            }
            #expect(try await client.call("certificate/refund", ["service_id": serviceIDs[2]]).success)
            // An issued order's names read valid, also when --dcv always-valid kept no domain records.
            let detail = try await client.call("certificate/detail", method: "GET", ["service_id": serviceIDs[0]])
            let dcv = detail.data["dcv"] as? [String: [String: Any]] ?? [:]
            #expect(!dcv.isEmpty && dcv.values.allSatisfy { $0["status"] as? String == "valid" }, "\(detail.text)")

            func list(_ parameters: [String: Any]) async throws -> (ids: [String], total: Int?, body: [String: Any]) {
                let answer = try await client.call("certificate/list", method: "GET", parameters)
                #expect(answer.success, "\(parameters): \(answer.text)")
                let rows = answer.data["data"] as? [[String: Any]] ?? []
                return (rows.compactMap { $0["service_id"] as? String }, answer.data["total"] as? Int, answer.data)
            }
            let first = try await list(["page": 1, "page_size": 2])
            #expect(first.ids == [serviceIDs[2], serviceIDs[1]] && first.total == 3)
            #expect(first.body["last_page"] as? Int == 2 && first.body["from"] as? Int == 1 && first.body["to"] as? Int == 2)
            let second = try await list(["page": 2, "page_size": 2])
            #expect(second.ids == [serviceIDs[0]] && second.body["from"] as? Int == 3)
            let beyond = try await list(["page": 1_000_000_000_000_000_000, "page_size": 100])
            #expect(beyond.ids.isEmpty && beyond.total == 3 && beyond.body["from"] is NSNull)

            #expect(try await list(["status": "issued"]).ids == [serviceIDs[1], serviceIDs[0]])
            #expect(try await list(["status": "issuing"]).total == 0, "a refunded order is not on its way")
            #expect(try await list(["status": "expiring"]).total == 0)
            #expect(try await list(["status": "expired"]).total == 0)
            #expect(try await list(["keyword": "BRAVO"]).ids == [serviceIDs[1]])
            #expect(try await list(["keyword": "%"]).total == 0, "LIKE wildcards in a keyword are text")
            let refused = try await client.call("certificate/list", method: "GET", ["status": "sleeping"])
            #expect(!refused.success && refused.fieldErrors["status"] != nil, "\(refused.text)")

            let (otherKey, otherSecret) = try await signet.administration.createResellerKey(name: "other shop")
            let other = ResellerClient(base: client.base, accessKey: otherKey, secret: otherSecret)
            let foreign = try await other.call("certificate/list", method: "GET", [:])
            #expect(foreign.success && foreign.data["total"] as? Int == 0, "\(foreign.text)")
        }
    }
}
