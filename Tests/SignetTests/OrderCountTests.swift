import Foundation
import SignetCore
import Testing

@testable import SignetStore
@testable import SignetTestSupport

/// `page.total` comes from kept counts (triggers and a background fold), not from counting rows:
/// it must agree with counting rows after every kind of change, folded or not.
@Suite("Order counts")
struct OrderCountTests {
    /// Every stored-status filter, with and without a container filter, against a plain `COUNT(*)`
    /// (`expired` and `revoked` also read the time and the current certificate: they count rows).
    static func expectCountsAgree(_ signet: TestSignet, _ moment: String) async throws {
        try await signet.store.read { connection in
            for containers in [nil, Set([1]), Set([999])] as [Set<Int>?] {
                for status in [nil] + OrderStatus.allCases.filter({ $0 != .expired && $0 != .revoked }) as [OrderStatus?] {
                    var query = OrderQuery(now: Date())
                    query.containerIDs = containers
                    query.status = status
                    #expect(query.countsByStatus)
                    var sql = "SELECT COUNT(*) AS total FROM orders WHERE 1 = 1"
                    var values: [any SQLBindable] = []
                    if let containers {
                        sql += " AND container_id IN \(ReadSession.list(containers.count))"
                        values += containers.map { $0 as any SQLBindable }
                    }
                    if let status {
                        sql += " AND status = ?"
                        values.append(status.rawValue)
                    }
                    let expected = try connection.count(sql, values)
                    let total = try connection.orderSummaries(query).total
                    #expect(
                        total == expected,
                        "\(moment): containers \(String(describing: containers)), status \(String(describing: status))")
                }
            }
        }
    }

    @Test("Counts agree with the rows after orders, approvals, rejections and revocations, before and after folding")
    func countsAgree() async throws {
        try await withSignet(dcv: .alwaysValid) { signet in
            let organizationID = try await signet.prepareAccount()
            var requests: [Int] = []
            var issued: [Int] = []
            for index in 0..<6 {
                let body = TestData.secureSiteOrder(
                    csr: try TestData.csr(), organizationID: organizationID, dnsNames: [], skipApproval: index < 3)
                let response = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
                #expect(response.status == .created, "\(response.text)")
                if index < 3 {
                    issued += [response.json["id"] as? Int].compactMap { $0 }
                } else {
                    requests += [((response.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)].compactMap { $0 }
                }
            }
            try await Self.expectCountsAgree(signet, "after placing")
            #expect(
                try await signet.call(.PUT, "request/\(requests[0])/status", json: ["status": "approved"]).status == .noContent)
            #expect(
                try await signet.call(.PUT, "request/\(requests[1])/status", json: ["status": "rejected"]).status == .noContent)
            #expect(
                try await signet.call(.PUT, "order/certificate/\(issued[0])/revoke", json: ["skip_approval": true]).status
                    == .noContent)
            try await Self.expectCountsAgree(signet, "after changes")
            try await signet.store.write { try $0.foldOrderCountChanges() }
            #expect(try await signet.store.read { try $0.pendingOrderCountChanges() } == 0)
            try await Self.expectCountsAgree(signet, "after folding")

            let list = try await signet.call(.GET, "order/certificate?filters[status]=issued&limit=1").json
            #expect((list["page"] as? [String: Any])?["total"] as? Int == 3, "\(list)")
            let all = try await signet.call(.GET, "order/certificate").json
            #expect((all["page"] as? [String: Any])?["total"] as? Int == 6, "\(all)")
        }
    }
}
