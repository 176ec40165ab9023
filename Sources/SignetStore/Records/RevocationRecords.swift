import Foundation
import SignetCore

/// The current CRL of an issuing CA, as published.
public struct PublishedCRL: Sendable, Equatable {
    public var issuerID: String
    public var number: Int64
    public var thisUpdate: Date
    public var nextUpdate: Date
    public var der: [UInt8]
    /// The CA's count of revocations it was built from (``RecordCRLRevocationCount``); `nil` for
    /// CRLs of earlier versions.
    public var revocationsSeen: Int64?

    public init(
        issuerID: String, number: Int64, thisUpdate: Date, nextUpdate: Date, der: [UInt8], revocationsSeen: Int64? = nil
    ) {
        self.issuerID = issuerID
        self.number = number
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.der = der
        self.revocationsSeen = revocationsSeen
    }
}

private struct CRLRow: Codable, Sendable {
    var issuerId: String
    var crlNumber: Int64
    var thisUpdate: Date
    var nextUpdate: Date
    var der: Data
    var revocationsSeen: Int64?
}

private struct RevokedRow: Codable, Sendable {
    var serialNumber: String
    var revokedAt: Date
    var revocationReason: String?
}

private struct IssuerRevocationRow: Codable, Sendable {
    var issuerId: String
    var serialNumber: String
    var revokedAt: Date
    var revocationReason: String
}

extension StoreSession {
    /// Certificates of `issuerID` that are revoked and not yet expired at `date`: what its CRL lists.
    public func revokedCertificates(issuerID: String, unexpiredAt date: Date) throws -> [(String, Revocation)] {
        try all(
            RevokedRow.self,
            "SELECT serial_number, revoked_at, revocation_reason FROM certificates WHERE issuer_id = ? AND status = ? AND valid_till > ? ORDER BY revoked_at, id",
            [issuerID, CertificateStatus.revoked.rawValue, date]
        ).map {
            (
                $0.serialNumber,
                Revocation(
                    date: $0.revokedAt, reason: $0.revocationReason.flatMap(RevocationReason.init(rawValue:)) ?? .unspecified)
            )
        }
    }

    /// When each issuer's current CRL was issued (the metrics' CRL age).
    public func crlIssueDates() throws -> [String: Date] {
        var dates: [String: Date] = [:]
        for row in try rows("SELECT issuer_id, this_update FROM revocation_lists") {
            dates[try row.string("issuer_id")] = try row.date("this_update")
        }
        return dates
    }

    /// The issuer's CRL; with `forUpdate`, locked so that two instances never publish the same CRL number.
    public func publishedCRL(issuerID: String, forUpdate: Bool = false) throws -> PublishedCRL? {
        try first(CRLRow.self, "SELECT * FROM revocation_lists WHERE issuer_id = ?\(forUpdate ? self.forUpdate : "")", [issuerID])
            .map {
                PublishedCRL(
                    issuerID: $0.issuerId, number: $0.crlNumber, thisUpdate: $0.thisUpdate, nextUpdate: $0.nextUpdate,
                    der: [UInt8]($0.der), revocationsSeen: $0.revocationsSeen)
            }
    }

    /// How many certificates `issuerID` has revoked (revoked issuing CAs, for the root): it changes
    /// with every revocation, so an OCSP answer cached at one count is stale at another, whichever
    /// instance revoked (an index range count on `certificates(issuer_id, status)`).
    public func revocationCount(issuerID: String, isRoot: Bool) throws -> Int64 {
        if isRoot { return Int64(try count("SELECT COUNT(*) AS n FROM issuer_revocations")) }
        return Int64(
            try count(
                "SELECT COUNT(*) AS n FROM certificates WHERE issuer_id = ? AND status = ?",
                [issuerID, CertificateStatus.revoked.rawValue]))
    }

    /// Every revoked issuing CA, oldest first.
    public func issuerRevocations() throws -> [(issuerID: String, serialNumber: String, revocation: Revocation)] {
        try all(IssuerRevocationRow.self, "SELECT * FROM issuer_revocations ORDER BY revoked_at").map {
            (
                $0.issuerId, $0.serialNumber,
                Revocation(date: $0.revokedAt, reason: RevocationReason(rawValue: $0.revocationReason) ?? .unspecified)
            )
        }
    }
}

extension StoreSession where Access == ReadWrite {
    /// Replaces the issuer's published CRL: an update of its one row (which the caller locked with
    /// `publishedCRL(issuerID:forUpdate:)`), or the first insert. A concurrent first insert breaks
    /// the primary key and is retried like any uniqueness race.
    public func publishCRL(_ crl: PublishedCRL, replacing: Bool) throws {
        if replacing {
            try execute(
                "UPDATE revocation_lists SET crl_number = ?, this_update = ?, next_update = ?, der = ?, revocations_seen = ? WHERE issuer_id = ?",
                [crl.number, crl.thisUpdate, crl.nextUpdate, Data(crl.der), crl.revocationsSeen, crl.issuerID])
            return
        }
        try insertWithoutID(
            into: "revocation_lists",
            CRLRow(
                issuerId: crl.issuerID, crlNumber: crl.number, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate,
                der: Data(crl.der), revocationsSeen: crl.revocationsSeen))
    }

    // MARK: revoked issuing CAs

    /// Records that the issuing CA `issuerID` (serial `serialNumber`) is revoked; `false` when it was already.
    public func revokeIssuer(issuerID: String, serialNumber: String, _ revocation: Revocation) throws -> Bool {
        if try issuerRevocations().contains(where: { $0.issuerID == issuerID }) { return false }
        try insertWithoutID(
            into: "issuer_revocations",
            IssuerRevocationRow(
                issuerId: issuerID, serialNumber: serialNumber, revokedAt: revocation.date,
                revocationReason: revocation.reason.rawValue))
        return true
    }
}
