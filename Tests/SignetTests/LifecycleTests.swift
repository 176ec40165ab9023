import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Reissues (seed 000) and duplicates (seed 002).
@Suite("Reissue and duplicates")
struct LifecycleTests {
    /// Places an issued ssl_basic order for example.com and sub.example.com; returns (order id, certificate id).
    static func issuedOrder(
        _ signet: TestSignet, organizationID: Int, names: [String] = ["sub.example.com"]
    ) async throws
        -> (Int, Int)
    {
        let response = try await signet.call(
            .POST, "order/certificate/ssl_basic",
            json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, dnsNames: names))
        #expect(response.status == .created, "\(response.text)")
        return (try #require(response.json["id"] as? Int), try #require(response.json["certificate_id"] as? Int))
    }

    static func reissueBody(
        commonName: String = "example.com", dnsNames: [String] = ["sub.example.com"], skipApproval: Bool = true
    ) throws -> [String: Any] {
        [
            "certificate": [
                "common_name": commonName, "dns_names": dnsNames, "csr": try TestData.csr(.p384),
                "server_platform": ["id": 45], "signature_hash": "sha256",
            ],
            "comments": "new key", "skip_approval": skipApproval,
        ]
    }

    static func certificateStatus(_ signet: TestSignet, _ id: Int) async throws -> String? {
        try await signet.call(.GET, "certificate/\(id)").json["status"] as? String
    }

    @Test("Seed 000: a reissue with skip_approval issues a new certificate; the order points at it; history stays")
    func reissueKeepingNames() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, firstID) = try await Self.issuedOrder(signet, organizationID: organizationID)
            let response = try await signet.call(.POST, "order/certificate/\(orderID)/reissue", json: try Self.reissueBody())
            #expect(response.status == .created, "\(response.text)")
            #expect(response.json["id"] as? Int == orderID)
            let newID = try #require(response.json["certificate_id"] as? Int)
            #expect(newID != firstID)
            _ = try await OrderFlowTests.verifyChain(response)

            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(info.json["status"] as? String == "issued")
            #expect((info.json["certificate"] as? [String: Any])?["id"] as? Int == newID)
            #expect((info.json["certificate"] as? [String: Any])?["key_size"] as? Int == 384)
            #expect(try await Self.certificateStatus(signet, firstID) == "issued", "same names: the old one stays valid")

            let history = try #require(
                try await signet.call(.GET, "order/certificate/\(orderID)/reissue").json["certificates"] as? [[String: Any]])
            #expect(history.compactMap { $0["id"] as? Int } == [firstID, newID])
            #expect(history.allSatisfy { $0["status"] as? String == "issued" && $0["thumbprint"] is String })
            let requests = try #require(info.json["requests"] as? [[String: Any]])
            #expect(requests.map { $0["type"] as? String } == ["new_request", "reissue"])

            let current = try await signet.call(.GET, "certificate/download/order/\(orderID)/format/pem_noroot")
            let served = Tools.pemBlocks(current.text).first
            let chain = response.json["certificate_chain"] as? [[String: Any]]
            #expect(served == chain?.first?["pem"] as? String, "the order's download is the reissued certificate")
        }
    }

    @Test("A reissue that drops a name revokes the replaced certificate as superseded")
    func reissueDroppingNames() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, firstID) = try await Self.issuedOrder(signet, organizationID: organizationID)
            let response = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue", json: try Self.reissueBody(dnsNames: ["www.example.com"]))
            #expect(response.status == .created, "\(response.text)")
            #expect(try await Self.certificateStatus(signet, firstID) == "revoked")
            let record = try await signet.store.read { try $0.certificate(id: firstID) }
            #expect(record?.revocation?.reason == .superseded)
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            let names = (info.json["certificate"] as? [String: Any])?["dns_names"] as? [String]
            #expect(names == ["example.com", "www.example.com"])
        }
    }

    @Test("A reissue without skip_approval waits in reissue_pending for approval")
    func reissueApproval() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, firstID) = try await Self.issuedOrder(signet, organizationID: organizationID)
            let response = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue", json: try Self.reissueBody(skipApproval: false))
            #expect(response.status == .created)
            #expect(response.json["certificate_id"] == nil)
            let requestID = try #require((response.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            #expect((response.json["requests"] as? [[String: Any]])?.first?.keys.sorted() == ["id"])
            #expect(try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String == "reissue_pending")

            let again = try await signet.call(.POST, "order/certificate/\(orderID)/reissue", json: try Self.reissueBody())
            #expect(again.status == .badRequest)
            #expect(again.errorCode == "invalid_order_status")
            let revoke = try await signet.call(
                .PUT, "certificate/\(firstID)/revoke", json: ["revocation_reason": "keyCompromise", "skip_approval": true])
            #expect(revoke.errorCode == "reissue_pending")

            #expect(try await signet.call(.PUT, "request/\(requestID)/status", json: ["status": "approved"]).status == .noContent)
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(info.json["status"] as? String == "issued")
            #expect((info.json["certificate"] as? [String: Any])?["id"] as? Int != firstID)
        }
    }

    @Test("A rejected reissue returns the order to issued with its certificate")
    func reissueRejected() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, firstID) = try await Self.issuedOrder(signet, organizationID: organizationID)
            let response = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue", json: try Self.reissueBody(skipApproval: false))
            let requestID = try #require((response.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            #expect(try await signet.call(.PUT, "request/\(requestID)/status", json: ["status": "rejected"]).status == .noContent)
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(info.json["status"] as? String == "issued")
            #expect((info.json["certificate"] as? [String: Any])?["id"] as? Int == firstID)
            let history =
                try await signet.call(.GET, "order/certificate/\(orderID)/reissue").json["certificates"] as? [[String: Any]]
            #expect(history?.last?["status"] as? String == "rejected")
        }
    }

    @Test("A reissue with a new name waits until that name is validated, then issues by itself")
    func reissueNewNameNeedsValidation() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, _) = try await Self.issuedOrder(signet, organizationID: organizationID)
            let response = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue",
                json: try Self.reissueBody(dnsNames: ["sub.example.com", "shop.example.org"]))
            #expect(response.status == .created)
            #expect(response.json["certificate_chain"] == nil)
            #expect(try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String == "reissue_pending")
            try await signet.administration.validateDomain(name: "example.org")
            var status = ""
            try await Tools.eventually(within: 30) {
                status = try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String ?? ""
                return status == "issued"
            }
            #expect(status == "issued")
        }
    }

    @Test("Reissues of orders that are not issued, of others' orders and with bad CSRs are refused")
    func reissueRefusals() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let waiting = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: false))
            let waitingID = try #require(waiting.json["id"] as? Int)
            let notIssued = try await signet.call(.POST, "order/certificate/\(waitingID)/reissue", json: try Self.reissueBody())
            #expect(notIssued.errorCode == "invalid_order_status")
            #expect(
                try await signet.call(.POST, "order/certificate/999/reissue", json: try Self.reissueBody()).errorCode
                    == "not_found|order")

            let (orderID, _) = try await Self.issuedOrder(signet, organizationID: organizationID)
            var weak = try Self.reissueBody()
            weak["certificate"] = await (weak["certificate"] as! [String: Any]).merging([
                "csr": try Tools.opensslCSR(["-newkey", "rsa:1024"])
            ]) { $1 }
            #expect(
                try await signet.call(.POST, "order/certificate/\(orderID)/reissue", json: weak).errorCode
                    == "csr_invalid_key_size")
            var wildcard = try Self.reissueBody(commonName: "*.example.com")
            wildcard["certificate"] = (wildcard["certificate"] as! [String: Any]).merging(["common_name": "bad name"]) { $1 }
            #expect(
                try await signet.call(.POST, "order/certificate/\(orderID)/reissue", json: wildcard).errorCode
                    == "invalid_dns_name|bad name")

            let child = try await signet.store.write { try $0.createContainer(name: "Other", parentID: 1, at: Date()) }
            let (otherKey, _) = try await signet.administration.createAPIKey(role: .manager, name: "other", containerID: child.id)
            for path in ["reissue", "duplicate"] {
                let foreign = try await signet.call(
                    .POST, "order/certificate/\(orderID)/\(path)", key: otherKey, json: try Self.reissueBody())
                #expect(foreign.errorCode == "not_found|order", "\(path)")
            }
            let foreignRevoke = try await signet.call(.PUT, "order/certificate/\(orderID)/revoke", key: otherKey, json: [:])
            #expect(foreignRevoke.errorCode == "not_found|order")

            #expect(
                try await signet.call(.PUT, "order/certificate/\(orderID)/revoke", json: ["skip_approval": true]).status
                    == .noContent)
            let revoked = try await signet.call(.POST, "order/certificate/\(orderID)/reissue", json: try Self.reissueBody())
            #expect(revoked.errorCode == "invalid_order_status")
            #expect(try await signet.orderCount() == 2)
        }
    }

    @Test("Seed 002: duplicates carry the order's names, list with every field, and never revoke the original")
    func duplicates() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, originalID) = try await Self.issuedOrder(signet, organizationID: organizationID)
            let issued = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate",
                json: try Self.reissueBody(commonName: "sub.example.com", dnsNames: ["example.com"]))
            #expect(issued.status == .created, "\(issued.text)")
            let duplicateID = try #require(issued.json["certificate_id"] as? Int)
            _ = try await OrderFlowTests.verifyChain(issued)

            let waiting = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate", json: try Self.reissueBody(skipApproval: false))
            #expect(waiting.status == .created)
            let requestID = try #require((waiting.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            let rejected = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate", json: try Self.reissueBody(skipApproval: false))
            let rejectedRequest = try #require((rejected.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            #expect(
                try await signet.call(.PUT, "request/\(rejectedRequest)/status", json: ["status": "rejected"]).status
                    == .noContent)

            let foreign = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate", json: try Self.reissueBody(dnsNames: ["other.example.com"]))
            #expect(foreign.errorCode == "invalid_value:certificate.dns_names")

            let list = try #require(
                try await signet.call(.GET, "order/certificate/\(orderID)/duplicate").json["certificates"] as? [[String: Any]])
            #expect(list.map { $0["status"] as? String } == ["issued", "pending", "rejected"])
            let full = Set([
                "id", "thumbprint", "serial_number", "common_name", "dns_names", "status", "date_created", "valid_from",
                "valid_till", "days_remaining", "csr", "server_platform", "signature_hash", "key_size", "ca_cert_id",
                "sub_id", "public_id", "archived", "user_id", "firstname", "lastname",
            ])
            #expect(Set(list[0].keys) == full)
            let preIssuance: Set<String> = ["thumbprint", "serial_number", "valid_from", "valid_till", "days_remaining"]
            #expect(Set(list[1].keys) == full.subtracting(preIssuance))
            #expect(list[0]["id"] as? Int == duplicateID)
            #expect(list[0]["archived"] as? String == "0")
            #expect((list[0]["server_platform"] as? [String: Any])?["name"] as? String == "nginx")
            #expect((list[0]["date_created"] as? String)?.hasSuffix("+00:00") == true)
            #expect((list[0]["valid_till"] as? String)?.count == 10)

            #expect(try await signet.call(.PUT, "request/\(requestID)/status", json: ["status": "approved"]).status == .noContent)
            #expect(try await Self.certificateStatus(signet, originalID) == "issued")
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect((info.json["certificate"] as? [String: Any])?["id"] as? Int == originalID)
            #expect(info.json["duplicates_count"] as? Int == 3)
            let listed = try await signet.call(.GET, "order/certificate?filters[id]=\(orderID)")
            #expect((listed.json["orders"] as? [[String: Any]])?.first?["has_duplicates"] as? Bool == true)
            let download = try await signet.call(.GET, "certificate/\(duplicateID)/download/format/pem_all")
            #expect(Tools.pemBlocks(download.text).count == 3)
        }
    }
}
