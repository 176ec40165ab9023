import Foundation
import SignetCore
import Testing
import Vapor

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// `PUT /order/certificate/{id}/status` (certcentral.md 4.4): canceling orders and pending reissues.
@Suite("Order cancellation")
struct CancellationTests {
    static func cancel(_ signet: TestSignet, _ orderID: Int, _ body: [String: Any]) async throws -> TestResponse {
        try await signet.call(.PUT, "order/certificate/\(orderID)/status", json: body)
    }

    @Test("An order awaiting approval is canceled, credited back and its request rejected with the note; refusals change nothing")
    func cancelBeforeIssuance() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let balance = try await signet.balance()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: false))
            #expect(placed.status == .created, "\(placed.text)")
            let orderID = try #require(placed.json["id"] as? Int)
            let requestID = try #require((placed.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            #expect(try await signet.balance() < balance)

            // Bad bodies and unknown orders: a clear 4xx and the order as it was.
            for (path, body, status, code) in [
                ("\(orderID)", ["note": "x"], 400, "missing_field:status"),
                ("\(orderID)", ["status": "canceled"], 400, "missing_field:note"),
                ("\(orderID)", ["status": "paused", "note": "x"], 400, "invalid_value:status"),
                ("\(orderID)", ["status": "renewed"], 400, "invalid_value:status"),
                ("\(orderID)", ["status": 5, "note": "x"], 400, "invalid_value:status"),
                ("999999", ["status": "canceled", "note": "x"], 404, "not_found|order"),
                ("abc", ["status": "canceled", "note": "x"], 404, "not_found|order"),
            ] as [(String, [String: Any], Int, String)] {
                let refused = try await signet.call(.PUT, "order/certificate/\(path)/status", json: body)
                #expect(Int(refused.status.code) == status, "\(body): \(refused.text)")
                #expect(refused.errorCode == code, "\(body): \(refused.text)")
            }
            let malformed = try await signet.call(.PUT, "order/certificate/\(orderID)/status", rawBody: "{\"status\":")
            #expect(malformed.status == .badRequest, "\(malformed.text)")
            #expect(try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String == "needs_approval")

            // Older clients send upper case and send_emails.
            let canceled = try await Self.cancel(
                signet, orderID, ["status": "CANCELED", "note": "ordered by mistake", "send_emails": false])
            #expect(canceled.status == .noContent, "\(canceled.text)")
            let info = try await signet.call(.GET, "order/certificate/\(orderID)").json
            #expect(info["status"] as? String == "canceled")
            let request = try await signet.call(.GET, "request/\(requestID)").json
            #expect(request["status"] as? String == "rejected")
            #expect(request["processor_comment"] as? String == "ordered by mistake")
            #expect(try await signet.balance() == balance, "credited back in full")
            let ledgerSum = try await signet.store.read { try $0.ledgerSum() }
            #expect(ledgerSum == balance)
            let listed = try await signet.call(.GET, "order/certificate?filters[status]=canceled")
            #expect((listed.json["page"] as? [String: Any])?["total"] as? Int == 1)

            // Twice, or an issued order: refused, nothing changes.
            let again = try await Self.cancel(signet, orderID, ["status": "canceled", "note": "again"])
            #expect(again.status == .badRequest)
            #expect(again.errorCode == "invalid_order_status")
            let (issuedID, _) = try await LifecycleTests.issuedOrder(signet, organizationID: organizationID)
            let afterIssue = try await signet.balance()
            let refused = try await Self.cancel(signet, issuedID, ["status": "canceled", "note": "too late"])
            #expect(refused.errorCode == "invalid_order_status", "\(refused.text)")
            #expect(try await signet.call(.GET, "order/certificate/\(issuedID)").json["status"] as? String == "issued")
            #expect(try await signet.balance() == afterIssue)
        }
    }

    @Test("Canceling a pending reissue returns the order to issued with its current certificate")
    func cancelReissue() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let (orderID, firstID) = try await LifecycleTests.issuedOrder(signet, organizationID: organizationID)
            let reissue = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue", json: try LifecycleTests.reissueBody(skipApproval: false))
            #expect(reissue.status == .created, "\(reissue.text)")
            let requestID = try #require((reissue.json["requests"] as? [[String: Any]])?.first?["id"] as? Int)
            #expect(try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String == "reissue_pending")

            let canceled = try await Self.cancel(signet, orderID, ["status": "canceled", "note": "keep the old key"])
            #expect(canceled.status == .noContent, "\(canceled.text)")
            let info = try await signet.call(.GET, "order/certificate/\(orderID)").json
            #expect(info["status"] as? String == "issued")
            #expect((info["certificate"] as? [String: Any])?["id"] as? Int == firstID)
            #expect(try await LifecycleTests.certificateStatus(signet, firstID) == "issued")
            let request = try await signet.call(.GET, "request/\(requestID)").json
            #expect(request["status"] as? String == "rejected")
            #expect(request["processor_comment"] as? String == "keep the old key")
            let history = try #require(
                try await signet.call(.GET, "order/certificate/\(orderID)/reissue").json["certificates"] as? [[String: Any]])
            #expect(history.compactMap { $0["status"] as? String } == ["issued", "canceled"])
            // The order can be reissued again.
            let next = try await signet.call(
                .POST, "order/certificate/\(orderID)/reissue", json: try LifecycleTests.reissueBody())
            #expect(next.status == .created, "\(next.text)")
        }
    }

    @Test("A canceled renewal releases the order it renewed, which can then be renewed again")
    func cancelRenewal() async throws {
        try await withSignet(dcv: .alwaysValid) { signet in
            let organizationID = try await signet.prepareAccount()
            let first = try await RenewalTests.placeOrder(signet, organizationID: organizationID)
            let renewal = try await RenewalTests.placeOrder(
                signet, organizationID: organizationID, extra: ["renewal_of_order_id": first, "skip_approval": false])
            #expect(try await signet.call(.GET, "order/certificate/\(first)").json["is_renewed"] as? Bool == true)
            let canceled = try await Self.cancel(signet, renewal, ["status": "canceled", "note": "not yet"])
            #expect(canceled.status == .noContent, "\(canceled.text)")
            #expect(try await signet.call(.GET, "order/certificate/\(first)").json["is_renewed"] as? Bool == false)
            let again = try await RenewalTests.placeOrder(
                signet, organizationID: organizationID, extra: ["renewal_of_order_id": first])
            #expect(try await signet.call(.GET, "order/certificate/\(again)").json["status"] as? String == "issued")
        }
    }
}
