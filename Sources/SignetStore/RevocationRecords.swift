import Foundation
import SQLKit
import SignetCore

/// The current CRL of an issuing CA, as published.
public struct PublishedCRL: Sendable, Equatable {
    public var issuerID: String
    public var number: Int64
    public var thisUpdate: Date
    public var nextUpdate: Date
    public var der: [UInt8]

    public init(issuerID: String, number: Int64, thisUpdate: Date, nextUpdate: Date, der: [UInt8]) {
        self.issuerID = issuerID
        self.number = number
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.der = der
    }
}

private struct CRLRow: Codable, Sendable {
    var issuerId: String
    var crlNumber: Int64
    var thisUpdate: Date
    var nextUpdate: Date
    var der: Data
}

private struct RevokedRow: Codable, Sendable {
    var serialNumber: String
    var revokedAt: Date
    var revocationReason: String?
}

extension StoreConnection {
    /// Certificates of `issuerID` that are revoked and not yet expired at `date`: what its CRL lists.
    public func revokedCertificates(issuerID: String, unexpiredAt date: Date) async throws -> [(String, Revocation)] {
        try await sql.select().columns("serial_number", "revoked_at", "revocation_reason").from("certificates")
            .where("issuer_id", .equal, issuerID).where("status", .equal, CertificateStatus.revoked.rawValue)
            .where("valid_till", .greaterThan, date).orderBy("revoked_at").orderBy("id")
            .all(decoding: RevokedRow.self, with: Self.decoder)
            .map {
                ($0.serialNumber, Revocation(
                    date: $0.revokedAt, reason: $0.revocationReason.flatMap(RevocationReason.init(rawValue:)) ?? .unspecified))
            }
    }

    /// The issuer's CRL; with `forUpdate`, locked so that two instances never publish the same CRL number.
    public func publishedCRL(issuerID: String, forUpdate: Bool = false) async throws -> PublishedCRL? {
        var query = sql.select().column("*").from("revocation_lists").where("issuer_id", .equal, issuerID)
        if forUpdate { query = query.lockingRows() }
        return try await query.first(decoding: CRLRow.self, with: Self.decoder)
            .map {
                PublishedCRL(
                    issuerID: $0.issuerId, number: $0.crlNumber, thisUpdate: $0.thisUpdate, nextUpdate: $0.nextUpdate,
                    der: [UInt8]($0.der))
            }
    }

    /// The number of the issuer's published CRL, without its body.
    public func crlNumber(issuerID: String) async throws -> Int64? {
        try await sql.select().column("crl_number").from("revocation_lists").where("issuer_id", .equal, issuerID)
            .first(decodingColumn: "crl_number", as: Int64.self)
    }

    /// Replaces the issuer's published CRL: an update of its one row (which the caller locked with
    /// `publishedCRL(issuerID:forUpdate:)`), or the first insert. A concurrent first insert breaks
    /// the primary key and is retried like any uniqueness race.
    public func publishCRL(_ crl: PublishedCRL, replacing: Bool) async throws {
        if replacing {
            try await sql.update("revocation_lists")
                .set("crl_number", to: crl.number).set("this_update", to: crl.thisUpdate)
                .set("next_update", to: crl.nextUpdate).set("der", to: Data(crl.der))
                .where("issuer_id", .equal, crl.issuerID)
                .run()
            return
        }
        try await sql.insert(into: "revocation_lists")
            .model(
                CRLRow(
                    issuerId: crl.issuerID, crlNumber: crl.number, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate,
                    der: Data(crl.der)),
                with: Self.encoder
            )
            .run()
    }
}

private struct IssuerRevocationRow: Codable, Sendable {
    var issuerId: String
    var serialNumber: String
    var revokedAt: Date
    var revocationReason: String
}

extension StoreConnection {
    // MARK: revoked issuing CAs

    /// Records that the issuing CA `issuerID` (serial `serialNumber`) is revoked; `false` when it was already.
    public func revokeIssuer(issuerID: String, serialNumber: String, _ revocation: Revocation) async throws -> Bool {
        if try await issuerRevocations().contains(where: { $0.issuerID == issuerID }) { return false }
        try await sql.insert(into: "issuer_revocations")
            .model(
                IssuerRevocationRow(
                    issuerId: issuerID, serialNumber: serialNumber, revokedAt: revocation.date,
                    revocationReason: revocation.reason.rawValue),
                with: Self.encoder
            )
            .run()
        return true
    }

    /// Every revoked issuing CA, oldest first.
    public func issuerRevocations() async throws -> [(issuerID: String, serialNumber: String, revocation: Revocation)] {
        try await sql.select().column("*").from("issuer_revocations").orderBy("revoked_at")
            .all(decoding: IssuerRevocationRow.self, with: Self.decoder)
            .map {
                ($0.issuerId, $0.serialNumber,
                 Revocation(date: $0.revokedAt, reason: RevocationReason(rawValue: $0.revocationReason) ?? .unspecified))
            }
    }
}
