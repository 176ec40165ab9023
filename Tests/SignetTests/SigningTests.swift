import Foundation
import SignetCore
import Testing

@testable import SignetRA
@testable import SignetStore
@testable import SignetTestSupport

/// Issuance reserves a serial, signs outside the write transaction, then records: a signer that
/// goes away between the steps loses nothing, and no serial is ever used twice.
@Suite("Signing outside the writer")
struct SigningTests {
    @Test(
        "A reservation whose signer went away is taken over after the lease under a new serial; the late signer records nothing")
    func abandonedReservation() async throws {
        try await withSignet(
            dcv: .alwaysValid,
            configure: {
                $0.recheckInterval = 3600; $0.signingLease = 1
            }
        ) { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: false))
            let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")
            let registration = signet.services.registration
            // An approval whose process dies after its transaction reserved the signature.
            let first = try await signet.store.write { connection -> PendingSignature? in
                var order = try #require(try connection.order(id: orderID))
                try registration.move(&order, .approve, connection: connection, now: Date())
                var certificate = try #require(try connection.currentCertificate(of: order))
                certificate.status = .approved
                try connection.setCertificateStatus(id: certificate.id, status: .approved)
                return try registration.reserveIfReady(
                    order, certificate, csr: nil, caaCleared: true, connection: connection, now: Date())
            }
            let reserved = try #require(first)
            let certificateID = reserved.certificateID

            // Within the lease nobody else signs it.
            #expect(try await registration.advance(certificateID: certificateID) == false)
            try await Task.sleep(nanoseconds: 2_500_000_000)  // the clock counts whole seconds
            // After it, the background work signs it again under a new serial and records it.
            #expect(try await registration.advance(certificateID: certificateID))
            let issued = try #require(try await signet.store.read { try $0.certificate(id: certificateID) })
            let serial = try #require(issued.issuance?.serialNumber)
            #expect(issued.status == .issued && serial != reserved.serialNumber.uppercased())

            // The first signer comes back: its signature is not recorded, and its serial stays retired.
            #expect(try await registration.complete(reserved) == nil)
            let states = try await signet.store.read { connection in
                try connection.rows(
                    "SELECT serial_number, state FROM serials WHERE certificate_id = ? ORDER BY reserved_at", [certificateID]
                )
                .map { try ($0.string("serial_number"), $0.string("state")) }
            }
            #expect(
                states.map(\.0) == [reserved.serialNumber.uppercased(), serial] && states.map(\.1) == ["abandoned", "issued"],
                "\(states)")
            #expect(try await signet.store.read { try $0.certificate(id: certificateID)?.issuance?.serialNumber } == serial)
            let order = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(order.json["status"] as? String == "issued", "\(order.text)")
        }
    }

    @Test("A serial given out once is refused a second time, whatever became of it")
    func serialsAreUnique() async throws {
        try await withSignet { signet in
            try await signet.store.write { try $0.reserveSerial("0A1B", certificateID: 1, issuerID: "x", at: Date()) }
            await #expect(throws: StoreError.self) {
                try await signet.store.write { try $0.reserveSerial("0a1b", certificateID: 2, issuerID: "x", at: Date()) }
            }
        }
    }
}
