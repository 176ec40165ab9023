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
}
