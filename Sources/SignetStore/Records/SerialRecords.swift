import Foundation
import SignetCore

/// A serial number given out for a certificate, and where its signature stands.
public struct SerialReservation: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Reserved, with what will be signed recorded; the signature is being computed.
        case reserved
        /// The certificate with this serial is recorded.
        case issued
        /// Given up after its signer went away (a crash, a stuck key); never used again.
        case abandoned
    }

    public var serialNumber: String
    public var certificateID: Int
    public var issuerID: String
    public var state: State
    public var reservedAt: Date
}

extension StoreSession {
    /// The reservation of a certificate that waits for its signature, if any.
    public func pendingSerial(certificateID: Int) throws -> SerialReservation? {
        guard
            let row = try rows(
                "SELECT * FROM serials WHERE certificate_id = ? AND state = ?",
                [certificateID, SerialReservation.State.reserved.rawValue]
            ).first
        else { return nil }
        return try Self.reservation(row)
    }

    static func reservation(_ row: SQLRow) throws -> SerialReservation {
        guard let state = SerialReservation.State(rawValue: try row.string("state")) else {
            throw StoreError.inconsistent("serial \(try row.string("serial_number")) has an unknown state")
        }
        return SerialReservation(
            serialNumber: try row.string("serial_number"), certificateID: try row.int("certificate_id"),
            issuerID: try row.string("issuer_id"), state: state, reservedAt: try row.date("reserved_at"))
    }
}

extension StoreSession where Access == ReadWrite {
    /// Reserves `serialNumber` for a certificate about to be signed. A serial given out before, in
    /// any state, is refused (`StoreError.uniqueViolation`; the caller draws another).
    public func reserveSerial(_ serialNumber: String, certificateID: Int, issuerID: String, at date: Date) throws {
        try execute(
            "INSERT INTO serials (serial_number, certificate_id, issuer_id, state, reserved_at) VALUES (?, ?, ?, ?, ?)",
            [serialNumber.uppercased(), certificateID, issuerID, SerialReservation.State.reserved.rawValue, date])
    }

    /// Marks a certificate's live reservation of `serialNumber` issued; `false` when it is not live
    /// (abandoned meanwhile, or recorded by another signer).
    public func claimReservedSerial(_ serialNumber: String, certificateID: Int) throws -> Bool {
        try execute(
            "UPDATE serials SET state = ? WHERE serial_number = ? AND certificate_id = ? AND state = ?",
            [
                SerialReservation.State.issued.rawValue, serialNumber.uppercased(), certificateID,
                SerialReservation.State.reserved.rawValue,
            ]) == 1
    }

    /// Moves a reservation on: `issued` once its certificate is recorded, `abandoned` when given up.
    public func setSerialState(_ serialNumber: String, _ state: SerialReservation.State) throws {
        try execute("UPDATE serials SET state = ? WHERE serial_number = ?", [state.rawValue, serialNumber.uppercased()])
    }
}
