import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

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
    /// Failures of both kinds: an error the writer throws, and a statement the database refuses.
    @Test("Concurrent writers share commits; each failure, thrown or refused by the database, rolls back alone")
    func failuresRollBackAlone() async throws {
        struct Refused: Error {}
        try await withSignet { (signet: TestSignet) async throws in
            let store = signet.store
            let before = store.groupCommitStatistics
            let started = Counter()
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 1...40 {
                    group.addTask {
                        // The first writer holds the writer until every other one has asked for it, so
                        // that they queue behind it (on SQLite) and share what follows.
                        if index > 1 { started.increment() } else { try? await Task.sleep(nanoseconds: 1_000_000) }
                        do {
                            try await store.write { connection in
                                if index == 1 {
                                    for _ in 0..<500 where started.value < 39 { Thread.sleep(forTimeInterval: 0.01) }
                                    Thread.sleep(forTimeInterval: 0.05)
                                }
                                try connection.post(
                                    Money(cents: Int64(index)), kind: .deposit, orderID: nil, note: "writer \(index)", at: Date())
                                if index.isMultiple(of: 3) { throw Refused() }
                                // Two writers use one API key id: the second is refused by the unique index.
                                if index == 5 || index == 7 {
                                    try connection.createAPIKey(
                                        userID: 1, name: "twin", lookupID: "TWIN", keyHash: "x", at: Date())
                                }
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
            let succeeded = (1...40).filter { !$0.isMultiple(of: 3) }
            #expect(outcomes.filter { $0 }.count == succeeded.count - 1, "one of the twins is refused")
            let twin = try await store.read { try $0.apiKey(lookupID: "TWIN") }
            #expect(twin != nil)
            // Which twin won is up to the order of arrival; its deposit is stored, the other's is not.
            let total = try await signet.balance()
            let candidates = [5, 7].map { loser in Money(cents: Int64(succeeded.filter { $0 != loser }.reduce(0, +))) }
            #expect(candidates.contains(total), "balance \(total)")
            #expect(try await store.read { try $0.ledgerSum() } == total)
            if let before, let after = store.groupCommitStatistics {
                let writes = after.writes - before.writes
                let transactions = after.transactions - before.transactions
                // The background pass writes too, in commits of its own.
                #expect(writes >= succeeded.count - 1)
                #expect(transactions <= 6, "\(writes) writes in \(transactions) commits: writers that queue share commits")
            }
        }
    }
}

/// A count shared by concurrent tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
