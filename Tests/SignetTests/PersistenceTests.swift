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
        let issuerID = first.services.authority.issuerID
        let adminKey = first.adminKey
        let directory = first.directory
        try await first.stop(removingData: false)

        let second = try await TestSignet.start(directory: directory)
        do {
            #expect(second.adminKey == adminKey)
            #expect(second.services.authority.issuerID == issuerID)
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
}
