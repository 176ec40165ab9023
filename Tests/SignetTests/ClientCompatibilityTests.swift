import Foundation
import SignetCore
import Testing

@testable import SignetTestSupport

/// What third-party CertCentral clients send, as they send it.
@Suite("Client compatibility")
struct ClientCompatibilityTests {
    /// An issued ssl_basic order and a duplicate sent as certmesh sends one (only the CSR and hash).
    static func orderWithDuplicate(_ signet: TestSignet) async throws -> Int {
        let organizationID = try await signet.prepareAccount()
        let placed = try await signet.call(
            .POST, "order/certificate/ssl_basic",
            json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
        let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")
        let duplicate = try await signet.call(
            .POST, "order/certificate/\(orderID)/duplicate",
            json: ["certificate": ["csr": try TestData.csr(), "signature_hash": "sha256"], "skip_approval": true])
        #expect(duplicate.status == .created, "\(duplicate.text)")
        return orderID
    }

    @Test("certmesh's duplicate names no names (only the CSR and hash): the duplicate carries the order's names")
    func duplicateWithoutNames() async throws {
        try await withSignet { signet in
            let orderID = try await Self.orderWithDuplicate(signet)
            let listed = try await signet.call(.GET, "order/certificate/\(orderID)/duplicate")
            let first = try #require((listed.json["certificates"] as? [[String: Any]])?.first, "\(listed.text)")
            #expect(first["common_name"] as? String == "example.com", "\(first)")
            #expect(Set(first["dns_names"] as? [String] ?? []) == ["sub.example.com", "app.example.com"], "\(first)")
        }
    }

    @Test("digicert-client 1.1.5's download_duplicate: ?subId=&formatType=pem_all answers the duplicate's chain in CRLF PEM")
    func downloadDuplicate() async throws {
        try await withSignet { signet in
            let orderID = try await Self.orderWithDuplicate(signet)
            let listed = try await signet.call(.GET, "order/certificate/\(orderID)/duplicate")
            let entry = try #require((listed.json["certificates"] as? [[String: Any]])?.first, "\(listed.text)")
            let subID = try #require(entry["sub_id"] as? String)
            let serial = try #require(entry["serial_number"] as? String)

            // DownloadDuplicateQuery: GET with its three headers, the query as it writes it.
            let answer = try await signet.call(
                .GET, "/services/v2/certificate/download/order/\(orderID)?subId=\(subID)&formatType=pem_all",
                headers: [("Accept", "application/json"), ("Content-Type", "application/json")])
            #expect(answer.status == .ok, "\(answer.text)")
            // Its _subprocess_response, in Swift: split on the CRLF end line, drop empties, put the line back.
            let parts = answer.text.components(separatedBy: "-----END CERTIFICATE-----\r\n").filter { !$0.isEmpty }
                .map { $0 + "-----END CERTIFICATE-----\r\n" }
            #expect(parts.count == 3, "\(answer.text)")
            let leaf = try await Tools.run("openssl", ["x509", "-noout", "-serial"], input: Data(parts[0].utf8)).output
            #expect(leaf.contains(serial), "the duplicate, not the order's certificate: \(leaf) vs \(serial)")
            #expect(!answer.text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")

            // Without subId the order's own certificate, as before; a sub_id of another order is not found.
            let own = try await signet.call(.GET, "certificate/download/order/\(orderID)/format/pem_all")
            #expect(own.status == .ok && !own.text.contains("\r\n"))
            let foreign = try await signet.call(
                .GET, "/services/v2/certificate/download/order/\(orderID)?subId=999999&formatType=pem_all")
            #expect(foreign.status == .notFound, "\(foreign.text)")
            let garbage = try await signet.call(.GET, "/services/v2/certificate/download/order/\(orderID)?subId=x")
            #expect(garbage.status == .badRequest && garbage.errorCode == "invalid_value:subId", "\(garbage.text)")
        }
    }

    @Test(
        "A revoked certificate shows: the order stays active for reissues, shows its certificate revoked, and filters as revoked")
    func revokedOrders() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            var orderIDs: [Int] = []
            for _ in 0..<3 {
                let placed = try await signet.call(
                    .POST, "order/certificate/ssl_basic",
                    json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
                orderIDs.append(try #require(placed.json["id"] as? Int, "\(placed.text)"))
            }
            // The first order's certificate is revoked on its own, the second order as a whole; the third stays.
            let info = try await signet.call(.GET, "order/certificate/\(orderIDs[0])")
            let certificateID = try #require((info.json["certificate"] as? [String: Any])?["id"] as? Int)
            let revoked = try await signet.call(
                .PUT, "certificate/\(certificateID)/revoke", json: ["revocation_reason": "keyCompromise", "skip_approval": true])
            #expect(revoked.status == .noContent, "\(revoked.text)")
            let wholeOrder = try await signet.call(
                .PUT, "order/certificate/\(orderIDs[1])/revoke", json: ["revocation_reason": "superseded", "skip_approval": true])
            #expect(wholeOrder.status == .noContent, "\(wholeOrder.text)")

            let first = try await signet.call(.GET, "order/certificate/\(orderIDs[0])")
            #expect(first.json["status"] as? String == "issued", "the order stays active: \(first.text)")
            #expect((first.json["certificate"] as? [String: Any])?["status"] as? String == "revoked", "\(first.text)")
            let filtered = try await signet.call(.GET, "order/certificate?filters[status]=revoked")
            let ids = Set((filtered.json["orders"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? [])
            #expect(ids == [orderIDs[0], orderIDs[1]], "\(filtered.text)")
            #expect((filtered.json["page"] as? [String: Any])?["total"] as? Int == 2, "\(filtered.text)")
            let all = try #require(try await signet.call(.GET, "order/certificate").json["orders"] as? [[String: Any]])
            let statuses = Dictionary(
                uniqueKeysWithValues: all.compactMap { order in
                    (order["id"] as? Int).map { ($0, (order["certificate"] as? [String: Any])?["status"] as? String) }
                })
            #expect(statuses == [orderIDs[0]: "revoked", orderIDs[1]: "revoked", orderIDs[2]: "issued"], "\(all)")

            // Still active: the order whose certificate was revoked takes a reissue with a new key.
            let reissue = try await signet.call(
                .POST, "order/certificate/\(orderIDs[0])/reissue",
                json: [
                    "certificate": ["common_name": "example.com", "csr": try TestData.csr(), "signature_hash": "sha256"],
                    "skip_approval": true,
                ])
            #expect(reissue.json["certificate_chain"] != nil, "\(reissue.text)")
        }
    }
}
