import Foundation
import SignetCore
import Testing

@testable import SignetTestSupport

/// What third-party CertCentral clients send, as they send it.
@Suite("Client compatibility")
struct ClientCompatibilityTests {
    @Test("certmesh's duplicate names no names (only the CSR and hash): the duplicate carries the order's names")
    func duplicateWithoutNames() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")
            let duplicate = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate",
                json: ["certificate": ["csr": try TestData.csr(), "signature_hash": "sha256"], "skip_approval": true])
            #expect(duplicate.status == .created, "\(duplicate.text)")
            let listed = try await signet.call(.GET, "order/certificate/\(orderID)/duplicate")
            let first = try #require((listed.json["certificates"] as? [[String: Any]])?.first, "\(listed.text)")
            #expect(first["common_name"] as? String == "example.com", "\(first)")
            #expect(Set(first["dns_names"] as? [String] ?? []) == ["sub.example.com", "app.example.com"], "\(first)")
        }
    }
}
