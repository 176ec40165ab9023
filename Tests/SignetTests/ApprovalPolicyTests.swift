import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Who may skip approval (docs/behaviour.md): administrators and managers; users only where the
/// account allows it, which it does not by default (as CertCentral ships).
@Suite("Approval policy")
struct ApprovalPolicyTests {
    @Test("A user's skip_approval is refused with 403 and stores nothing; a manager's issues; the account setting lets users")
    func whoMaySkipApproval() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (userKey, _) = try await signet.administration.createAPIKey(role: .user, name: "u")
            let (managerKey, _) = try await signet.administration.createAPIKey(role: .manager, name: "m")
            let body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID)
            let balance = try await signet.balance()

            let refused = try await signet.call(.POST, "order/certificate/ssl_basic", key: userKey, json: body)
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "access_denied|missing_permission")
            #expect(try await signet.orderCount() == 0)
            #expect(try await signet.balance() == balance, "nothing was charged")

            var waiting = body
            waiting["skip_approval"] = false
            let placed = try await signet.call(.POST, "order/certificate/ssl_basic", key: userKey, json: waiting)
            #expect(placed.status == .created)
            #expect((placed.json["requests"] as? [[String: Any]])?.first?["status"] as? String == "pending")

            let managed = try await signet.call(.POST, "order/certificate/ssl_basic", key: managerKey, json: body)
            #expect((managed.json["certificate_chain"] as? [Any])?.count == 3, "\(managed.text)")
            let issuedID = try #require(managed.json["id"] as? Int)
            let reissue: [String: Any] = [
                "certificate": ["common_name": "example.com", "csr": try TestData.csr(), "signature_hash": "sha256"],
                "skip_approval": true,
            ]
            let userReissue = try await signet.call(.POST, "order/certificate/\(issuedID)/reissue", key: userKey, json: reissue)
            #expect(userReissue.status == .forbidden)

            try await signet.administration.setAccountSettings(AccountSettings(usersMaySkipApproval: true))
            let (laterUser, _) = try await signet.administration.createAPIKey(role: .user, name: "u2")
            let allowed = try await signet.call(.POST, "order/certificate/ssl_basic", key: laterUser, json: body)
            #expect((allowed.json["certificate_chain"] as? [Any])?.count == 3, "\(allowed.text)")
        }
    }

    /// Places seed 003's order without `skip_approval`, reissues and duplicates it, and asks for a
    /// revocation, each with `key`; returns whether each went through without an approver.
    static func flows(_ signet: TestSignet, key: String, organizationID: Int) async throws -> [String: Bool] {
        var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID)
        body["skip_approval"] = nil
        let placed = try await signet.call(.POST, "order/certificate/ssl_basic", key: key, json: body)
        #expect(placed.status == .created, "\(placed.text)")
        var results = ["order": placed.json["certificate_chain"] != nil && placed.json["certificate_id"] is Int]
        guard results["order"] == true, let orderID = placed.json["id"] as? Int else { return results }
        let certificate: [String: Any] = ["common_name": "example.com", "csr": try TestData.csr(), "signature_hash": "sha256"]
        for action in ["reissue", "duplicate"] {
            let answer = try await signet.call(
                .POST, "order/certificate/\(orderID)/\(action)", key: key, json: ["certificate": certificate])
            #expect(answer.status == .created, "\(action): \(answer.text)")
            results[action] = answer.json["certificate_id"] is Int
        }
        let revoke = try await signet.call(
            .PUT, "order/certificate/\(orderID)/revoke", key: key, json: ["revocation_reason": "superseded"])
        results["revoke"] = revoke.status == .noContent
        return results
    }

    @Test(
        "CertCentral's approval preferences: skipped or auto-approved, an approver's order, reissue and duplicate issue without skip_approval; users and revocations wait",
        arguments: [
            AccountSettings(), AccountSettings(approvalStep: .skip), AccountSettings(autoApproveApprovers: true),
        ])
    func approvalPreferences(settings: AccountSettings) async throws {
        try await withSignet { signet in
            // Keys are cached briefly with their account's settings: set them before the first call.
            try await signet.administration.setAccountSettings(settings)
            let organizationID = try await signet.prepareAccount()
            let (userKey, _) = try await signet.administration.createAPIKey(role: .user, name: "u")
            let (managerKey, _) = try await signet.administration.createAPIKey(role: .manager, name: "m")
            let skips = settings.approvalStep == .skip || settings.autoApproveApprovers
            for key in [signet.adminKey, managerKey] {
                let results = try await Self.flows(signet, key: key, organizationID: organizationID)
                #expect(results["order"] == skips, "\(settings): \(results)")
                if skips {
                    #expect(results["reissue"] == true && results["duplicate"] == true, "\(settings): \(results)")
                    #expect(results["revoke"] == false, "a revocation still waits for approval: \(results)")
                }
            }
            let user = try await Self.flows(signet, key: userKey, organizationID: organizationID)
            #expect(user["order"] == false, "a user's order waits whatever the preferences: \(user)")
        }
    }
}
