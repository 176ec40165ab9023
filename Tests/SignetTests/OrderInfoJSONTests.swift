import Foundation
import SignetCore
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetStore
@testable import SignetTestSupport

/// Order info is written straight into bytes (`OrderInfoView.json`); these are the bytes the
/// view's `Encodable` conformance gives through ``SortedJSONEncoder`` (itself checked against
/// `JSONEncoder`), for orders that set every optional member and orders that set none.
@Suite("Order info JSON")
struct OrderInfoJSONTests {
    @Test("Issued, pending, renewing, unpaid-for-validation and CSR-less orders: the same bytes as the encoder")
    func matchesEncoder() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            var ids: [Int] = []
            // Every optional member the body can set: contacts, comments, renewal message.
            let issued = try await signet.call(
                .POST, "order/certificate/ssl_securesite_pro",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let issuedID = try #require(issued.json["id"] as? Int, "\(issued.text)")
            ids.append(issuedID)
            // Waiting for approval and for a domain nobody validated: requests, DCV names and tokens.
            var waiting = TestData.secureSiteOrder(
                csr: try TestData.csr(commonName: "pending.example.org"), organizationID: organizationID,
                commonName: "pending.example.org", dnsNames: ["www.pending.example.org"], skipApproval: false)
            waiting["alternative_order_id"] = "info-json-1"
            waiting["custom_fields"] = [["metadata_id": 1, "value": "cost centre \"7\"/ü"]]
            waiting["additional_emails"] = ["ops@example.com"]
            waiting["locale"] = "en"
            waiting["disable_renewal_notifications"] = true
            waiting["renewal_of_order_id"] = issuedID
            waiting["dcv_method"] = "dns-txt-token"
            let pending = try await signet.call(.POST, "order/certificate/ssl_securesite_pro", json: waiting)
            ids.append(try #require(pending.json["id"] as? Int, "\(pending.text)"))
            // A DV order with no organization.
            let dv = try await signet.call(
                .POST, "order/certificate/ssl_dv_geotrust", json: try TestData.dvOrder(commonName: "example.com"))
            ids.append(try #require(dv.json["id"] as? Int, "\(dv.text)"))
            // An order opened without its CSR, as ACME opens them.
            let principal = try #require(try await signet.app.signet.credentials.apiKey(signet.adminKey))
            let opened = try await signet.services.registration.open(
                OrderStepsTests.submission(
                    ["example.com", "later.example.org"], organizationID: organizationID, skipApproval: true),
                by: principal, fingerprint: "")
            ids.append(opened.order.id)

            let authority = signet.app.signet.authority
            let now = Date()
            for id in ids {
                let context = try await signet.store.read {
                    try OrderContext.load(orderID: id, principal: principal, connection: $0, now: now)
                }
                let view = OrderInfoView(context, authority: authority, now: now)
                let expected = String(decoding: try SortedJSONEncoder.encode(view), as: UTF8.self)
                #expect(String(decoding: view.json(), as: UTF8.self) == expected, "order \(id)")
                let served = try await signet.call(.GET, "order/certificate/\(id)")
                #expect(served.status == .ok && served.json["id"] as? Int == id, "\(served.text)")
            }
            #expect(ids.count == 4)
        }
    }
}
