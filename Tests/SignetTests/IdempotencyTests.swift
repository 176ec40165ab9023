import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// `alternative_order_id` makes retries safe: one order, one charge.
@Suite("Idempotency")
struct IdempotencyTests {
    @Test("A repeated order with the same alternative_order_id returns the first order and charges once")
    func repeatedOrder() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID)
            body["alternative_order_id"] = "client-key-1"
            let first = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
            #expect(first.status == .created)
            let afterFirst = try await signet.balance()
            let second = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
            #expect(second.status == .created)
            #expect(second.json["id"] as? Int == first.json["id"] as? Int)
            #expect(second.json["certificate_id"] as? Int == first.json["certificate_id"] as? Int)
            #expect((second.json["certificate_chain"] as? [[String: Any]])?.count == 3)
            #expect(try await signet.balance() == afterFirst)
            #expect(try await signet.orderCount() == 1)

            let lookup = try await signet.call(.GET, "order/alternate/client-key-1")
            #expect(lookup.status == .ok)
            let orders = try #require(lookup.json["orders"] as? [[String: Any]])
            #expect(orders.first?["order_id"] as? Int == first.json["id"] as? Int)
            #expect(orders.first?["status"] as? String == "issued")
            #expect(try await signet.call(.GET, "order/alternate/unknown-key").errorCode == "not_found|order")

            var different = body
            different["comments"] = "another request"
            let conflict = try await signet.call(.POST, "order/certificate/ssl_basic", json: different)
            #expect(conflict.status == .conflict)
            #expect(conflict.errorCode == "duplicate_alternative_order_id")
            #expect(try await signet.orderCount() == 1)
        }
    }

    @Test("Fifty identical orders arriving at once make one order and one charge")
    func concurrentRepeats() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let before = try await signet.balance()
            var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID)
            body["alternative_order_id"] = "burst-1"
            let payload = try JSONSerialization.data(withJSONObject: body)
            let text = String(decoding: payload, as: UTF8.self)
            let ids = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await signet.call(.POST, "order/certificate/ssl_basic", rawBody: text)
                        #expect(response.status == .created, "\(response.text)")
                        return response.json["id"] as? Int
                    }
                }
                var ids: Set<Int?> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids.count == 1)
            #expect(ids.first! != nil)
            #expect(try await signet.orderCount() == 1)
            let price = try await signet.store.read { try $0.order(id: ids.first!!)!.price }
            #expect(try await signet.balance() == before - price)
            #expect(try await signet.store.read { try $0.ledgerSum() } == before - price)
        }
    }

    @Test("Concurrent orders without a key each store one order with its own unique serial")
    func concurrentDistinctOrders() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let before = try await signet.balance()
            let csr = try TestData.csr()
            let body = TestData.secureSiteOrder(csr: csr, organizationID: organizationID, dnsNames: [])
            let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            let failures = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        let response = try await signet.call(.POST, "order/certificate/ssl_basic", rawBody: text)
                        return response.status == .created ? nil : "\(response.status.code) \(response.text)"
                    }
                }
                return try await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(try await signet.orderCount() == 30)
            #expect(try await signet.store.read { try $0.repeatedSerialCount() } == 0)
            let balance = try await signet.balance()
            #expect(try await signet.store.read { try $0.ledgerSum() } == balance)
            #expect(before - balance == Money(cents: 21_800 * 2 * 30))
        }
    }
}
