import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// Publishes revocation status to relying parties: the CRL, rebuilt in the transaction that
/// revokes, and the OCSP responses, cached until a status changes.
public final class RevocationPublisher: Sendable {
    let authority: CertificateAuthority
    /// How long a CRL is valid (`nextUpdate − thisUpdate`); BR 4.9.7 allows at most ten days.
    let crlLifetime: TimeInterval
    /// How often an unchanged CRL is rebuilt anyway, well before its `nextUpdate`.
    let crlRefreshInterval: TimeInterval
    /// How long an OCSP response is valid; BR 4.9.10 asks for at least 8 hours and at most 10 days.
    let ocspLifetime: TimeInterval
    let ocspCache = OCSPResponseCache()

    public init(
        authority: CertificateAuthority, crlLifetime: TimeInterval = 7 * 86_400, crlRefreshInterval: TimeInterval = 86_400,
        ocspLifetime: TimeInterval = 4 * 86_400
    ) {
        self.authority = authority
        self.crlLifetime = crlLifetime
        self.crlRefreshInterval = crlRefreshInterval
        self.ocspLifetime = ocspLifetime
    }

    /// Rebuilds the issuing CA's CRL from the revoked certificates, in the caller's transaction.
    @discardableResult
    func publish(connection: StoreConnection, now: Date) async throws -> PublishedCRL {
        // The lock comes first: a publisher that waited for another then reads the revocations that
        // one committed (PostgreSQL's READ COMMITTED takes a new snapshot per statement), so no
        // CRL drops a revocation made concurrently on another instance.
        let previous = try await connection.publishedCRL(issuerID: authority.issuerID, forUpdate: true)
        let revoked = try await connection.revokedCertificates(issuerID: authority.issuerID, unexpiredAt: now)
            .map { RevokedCertificate(serialNumber: $0.0, revocation: $0.1) }
        let number = (previous?.number ?? 0) + 1
        let nextUpdate = now.addingTimeInterval(crlLifetime)
        let der = try authority.revocationList(number: number, thisUpdate: now, nextUpdate: nextUpdate, revoked: revoked)
        let crl = PublishedCRL(issuerID: authority.issuerID, number: number, thisUpdate: now, nextUpdate: nextUpdate, der: der)
        try await connection.publishCRL(crl, replacing: previous != nil)
        return crl
    }

    /// The current CRL, building the first one when there is none or the last is due for renewal.
    public func currentCRL(store: SignetStore, now: Date) async throws -> PublishedCRL {
        if let crl = try await store.read({ try await $0.publishedCRL(issuerID: self.authority.issuerID) }),
            now.timeIntervalSince(crl.thisUpdate) < crlRefreshInterval
        {
            return crl
        }
        return try await store.write { connection in
            if let crl = try await connection.publishedCRL(issuerID: self.authority.issuerID, forUpdate: true),
                now.timeIntervalSince(crl.thisUpdate) < self.crlRefreshInterval
            {
                return crl
            }
            return try await self.publish(connection: connection, now: now)
        }
    }

    /// The OCSP response to a DER request: statuses read from the store, signed by the issuing CA.
    public func ocspResponse(to request: [UInt8], store: SignetStore, now: Date) async -> [UInt8] {
        let query: OCSPQuery
        do {
            query = try OCSPQuery(der: request)
        } catch {
            return CertificateAuthority.ocspMalformedRequest
        }
        let cacheKey = query.nonce == nil && query.items.count == 1 ? query.items[0].certIDDER.hexString : nil
        do {
            // Every revocation publishes a new CRL in its transaction, so the CRL number read
            // before the statuses tells any instance whether a cached answer is still true.
            let generation = try await store.read { try await $0.crlNumber(issuerID: self.authority.issuerID) } ?? 0
            if let cacheKey, let cached = ocspCache.response(for: cacheKey, generation: generation, now: now) { return cached }
            let authority = self.authority
            let statuses = try await store.read { connection in
                var statuses: [(item: OCSPQuery.Item, status: OCSPStatus)] = []
                for item in query.items {
                    guard authority.isIssuer(of: item), let certificate = try await connection.certificate(serialNumber: item.serialNumber)
                    else {
                        statuses.append((item, .unknown))
                        continue
                    }
                    switch (certificate.status, certificate.revocation) {
                    case (.revoked, let revocation?): statuses.append((item, .revoked(revocation)))
                    case (.issued, _): statuses.append((item, .good))
                    default: statuses.append((item, .unknown))
                    }
                }
                return statuses
            }
            let response = try authority.ocspResponse(
                statuses: statuses, nonce: query.nonce, now: now, nextUpdate: now.addingTimeInterval(ocspLifetime))
            if let cacheKey, statuses.allSatisfy({ $0.status != .unknown }) {
                ocspCache.store(response, for: cacheKey, expires: now.addingTimeInterval(3600), generation: generation)
            }
            return response
        } catch {
            return CertificateAuthority.ocspInternalError
        }
    }
}

/// Signed OCSP responses by CertID, valid while the CRL number they were built under is current
/// (no revocation since) and for at most an hour.
final class OCSPResponseCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (generation: Int64, expires: Date, der: [UInt8])] = [:]

    func response(for key: String, generation: Int64, now: Date) -> [UInt8]? {
        lock.withLock {
            guard let entry = entries[key], entry.generation == generation, entry.expires > now else { return nil }
            return entry.der
        }
    }

    func store(_ der: [UInt8], for key: String, expires: Date, generation: Int64) {
        lock.withLock {
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = (generation, expires, der)
        }
    }
}
