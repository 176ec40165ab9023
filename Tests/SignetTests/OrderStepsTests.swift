import Foundation
import SignetCore
import Testing

@testable import SignetHTTP
@testable import SignetRA
@testable import SignetStore
@testable import SignetTestSupport

/// The registration authority's steps as a front end without CSR-at-order (ACME, a console) uses
/// them: open an order, let its names be authorized and the order approved, finalize with a CSR.
@Suite("Open, authorize, finalize")
struct OrderStepsTests {
    static func submission(_ names: [String], organizationID: Int, skipApproval: Bool) -> OrderSubmission {
        var submission = OrderSubmission(productNameID: "ssl_basic")
        submission.commonName = names[0]
        submission.dnsNames = Array(names.dropFirst())
        submission.signatureHash = "sha256"
        submission.orderValidity = ValidityRequest(years: 1, fieldPrefix: "order_validity.")
        submission.organization = .existing(organizationID)
        submission.skipApproval = skipApproval
        submission.options.dcvMethod = "dns-txt-token"
        return submission
    }

    static func principal(_ signet: TestSignet) async throws -> Principal {
        try #require(try await signet.app.signet.credentials.apiKey(signet.adminKey))
    }

    @Test(
        "Opened without a CSR: stored, charged, authorizations as rows; finalize issues; the same finalize again returns the same certificate; another CSR is refused"
    )
    func openThenFinalize() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let principal = try await Self.principal(signet)
            let registration = signet.services.registration
            let balance = try await signet.balance()
            let opened = try await registration.open(
                Self.submission(["example.com", "pending.example.org"], organizationID: organizationID, skipApproval: true),
                by: principal, fingerprint: "f1")
            #expect(opened.order.status == .pending && opened.order.certificateID == nil && !opened.isRepeat)
            #expect(try await signet.balance() < balance, "opening charges")
            let rows = try await signet.store.read {
                try $0.rows("SELECT name, status FROM authorizations WHERE order_id = ?", [opened.order.id])
            }
            #expect(try rows.map { try $0.string("name") } == ["pending.example.org"], "only the name no validation covers waits")
            #expect(opened.requests.first?.certificateID == nil)

            // The name validates; finalize then signs at once.
            try await signet.administration.validateDomain(name: "example.org")
            let csr = try TestData.csr(commonName: "example.com")
            let placed = try await registration.finalize(orderID: opened.order.id, csr: csr, by: principal)
            #expect(placed.order.status == .issued && placed.certificate.status == .issued, "\(placed.order.status)")
            #expect(placed.requests.first?.certificateID == placed.certificate.id)
            let order = try await signet.call(.GET, "order/certificate/\(opened.order.id)")
            #expect(order.json["status"] as? String == "issued", "\(order.text)")
            let requests = try await signet.call(.GET, "request?filters[order_id]=\(opened.order.id)")
            #expect(
                ((requests.json["requests"] as? [[String: Any]])?.first?["order"] as? [String: Any])?["id"] as? Int
                    == opened.order.id)

            let again = try await registration.finalize(orderID: opened.order.id, csr: csr, by: principal)
            #expect(
                again.isRepeat && again.certificate.id == placed.certificate.id
                    && again.certificate.issuance == placed.certificate.issuance)
            await #expect(throws: WorkflowError.self) {
                try await registration.finalize(
                    orderID: opened.order.id, csr: try TestData.csr(commonName: "example.com"), by: principal)
            }
            let repeated = try await registration.open(
                Self.submission(["example.com"], organizationID: organizationID, skipApproval: true), by: principal,
                fingerprint: "f2")
            #expect(!repeated.isRepeat, "no idempotency key: a new order")
        }
    }

    @Test("Approval can come before the CSR: the approved order's certificate is requested approved at finalize and issues")
    func approvalBeforeCSR() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let principal = try await Self.principal(signet)
            let registration = signet.services.registration
            var submission = Self.submission(["www.example.com"], organizationID: organizationID, skipApproval: false)
            submission.alternativeOrderID = "console-1"
            let opened = try await registration.open(submission, by: principal, fingerprint: "f1")
            #expect(opened.order.status == .needsApproval)
            let repeated = try await registration.open(submission, by: principal, fingerprint: "f1")
            #expect(repeated.isRepeat && repeated.order.id == opened.order.id)
            let requestID = try #require(opened.requests.first?.id)
            let decided = try await signet.call(
                .PUT, "request/\(requestID)/status", json: ["status": "approved", "processor_comment": "ok"])
            #expect(decided.status == .noContent, "\(decided.text)")
            let approved = try await signet.store.read { try $0.order(id: opened.order.id) }
            #expect(approved?.status == .pending)

            let placed = try await registration.finalize(
                orderID: opened.order.id, csr: try TestData.csr(commonName: "www.example.com"), by: principal)
            #expect(placed.order.status == .issued && placed.certificate.status == .issued)
            let chain = try #require(placed.certificate.issuance?.pem)
            #expect(chain.contains("BEGIN CERTIFICATE"))
            // A CertCentral placement under the same key answers that the order waits for nothing now.
            submission.csr = try TestData.csr(commonName: "www.example.com")
            let earlier = try await registration.placeOrder(submission, by: principal, fingerprint: "f1")
            #expect(earlier.isRepeat && earlier.certificate.id == placed.certificate.id)
        }
    }

    @Test("A rejected open order ends rejected and refunded, and cannot be finalized")
    func rejectionBeforeCSR() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let principal = try await Self.principal(signet)
            let registration = signet.services.registration
            let before = try await signet.balance()
            let opened = try await registration.open(
                Self.submission(["www.example.com"], organizationID: organizationID, skipApproval: false), by: principal,
                fingerprint: "f")
            let requestID = try #require(opened.requests.first?.id)
            let decided = try await signet.call(
                .PUT, "request/\(requestID)/status", json: ["status": "rejected", "processor_comment": "no"])
            #expect(decided.status == .noContent, "\(decided.text)")
            #expect(try await signet.store.read { try $0.order(id: opened.order.id)?.status } == .rejected)
            #expect(try await signet.balance() == before)
            await #expect(throws: WorkflowError.invalidOrderStatus(id: opened.order.id, status: .rejected, action: "finalized")) {
                try await registration.finalize(
                    orderID: opened.order.id, csr: try TestData.csr(commonName: "www.example.com"), by: principal)
            }
        }
    }
}
