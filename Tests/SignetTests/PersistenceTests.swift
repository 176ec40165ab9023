import Foundation
import SignetCore
import Testing

@testable import SignetServer

@Suite("Persistence")
struct PersistenceTests {
    @Test("A restart keeps orders, money, keys and the CA")
    func restartKeepsEverything() async throws {
        let first = try await TestSignet.start()
        let organizationID = try await first.prepareAccount()
        let placed = try await first.call(
            .POST, "order/certificate/ssl_securesite_pro",
            json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
        let orderID = try #require(placed.json["id"] as? Int)
        let waiting = try await first.call(
            .POST, "order/certificate/ssl_basic",
            json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: false))
        let requestID = try #require((waiting.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
        let balance = try await first.balance()
        let issuerID = first.services.authority.issuer(for: .tls).id
        let adminKey = first.adminKey
        let directory = first.directory
        try await first.stop(removingData: false)

        let second = try await TestSignet.start(directory: directory)
        do {
            #expect(second.adminKey == adminKey)
            #expect(second.services.authority.issuer(for: .tls).id == issuerID)
            #expect(try await second.balance() == balance)
            let info = try await second.call(.GET, "order/certificate/\(orderID)")
            #expect(info.json["status"] as? String == "issued")
            let approved = try await second.call(.PUT, "request/\(requestID)/status", json: ["status": "approved"])
            #expect(approved.status == .noContent)
            let again = try await second.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            #expect(again.status == .created)
            #expect((again.json["id"] as? Int ?? 0) > orderID)
            try await second.stop()
        } catch {
            try? await second.stop()
            throw error
        }
    }

    /// A writer's failure undoes only its own writes, also when its transaction shares a commit
    /// with others (SQLite's group commit); on PostgreSQL every writer has its own transaction.
    @Test("Concurrent writers: each failure rolls back alone, every success is stored")
    func failuresRollBackAlone() async throws {
        struct Refused: Error {}
        try await withSignet { (signet: TestSignet) async throws in
            let store = signet.store
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 1...40 {
                    group.addTask {
                        do {
                            try await store.write { connection in
                                try await connection.post(
                                    Money(cents: Int64(index)), kind: .deposit, orderID: nil, note: "writer \(index)", at: Date())
                                if index.isMultiple(of: 3) { throw Refused() }
                            }
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                var stored: [Bool] = []
                for await outcome in group { stored.append(outcome) }
                return stored
            }
            #expect(outcomes.filter { $0 }.count == 27)
            let expected = Money(cents: Int64((1...40).filter { !$0.isMultiple(of: 3) }.reduce(0, +)))
            #expect(try await signet.balance() == expected)
            #expect(try await store.read { try await $0.ledgerSum() } == expected)
        }
    }
}
