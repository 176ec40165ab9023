import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// Publishes revocation status to relying parties: a CRL per CA (each issuing CA's lists its
/// certificates, the root's lists revoked issuing CAs), rebuilt in the transaction that revokes, and
/// OCSP responses from the CA that issued what they answer about, cached until a status changes.
public final class RevocationPublisher: Sendable {
    public let authority: CertificateAuthority
    /// How long an issuing CA's CRL is valid (`nextUpdate − thisUpdate`); BR 4.9.7 allows at most ten days.
    public let crlLifetime: TimeInterval
    /// How long the root's CRL is valid; BR 4.9.7 allows twelve months for CRLs of CA certificates.
    public let rootCRLLifetime: TimeInterval
    /// How often an unchanged CRL is rebuilt anyway, well before its `nextUpdate`.
    public let crlRefreshInterval: TimeInterval
    /// How long an OCSP response is valid; BR 4.9.10 asks for at least 8 hours and at most 10 days.
    public let ocspLifetime: TimeInterval
    public let ocspCache = OCSPResponseCache()

    public init(
        authority: CertificateAuthority, crlLifetime: TimeInterval = 7 * 86_400, rootCRLLifetime: TimeInterval = 30 * 86_400,
        crlRefreshInterval: TimeInterval = 86_400, ocspLifetime: TimeInterval = 4 * 86_400
    ) {
        self.authority = authority
        self.crlLifetime = crlLifetime
        self.rootCRLLifetime = rootCRLLifetime
        self.crlRefreshInterval = crlRefreshInterval
        self.ocspLifetime = ocspLifetime
    }

    /// Every CA whose CRL Signet publishes: the root and each issuing CA, current or retired.
    public var caIDs: [String] { [authority.root.id] + authority.issuers.map(\.id) }

    /// Rebuilds the CRLs of the CAs `caIDs` (in the caller's transaction) after revocations they issued.
    public func publish(_ caIDs: Set<String>, connection: WriteSession, now: Date) throws {
        for id in caIDs.sorted() where authority.ca(id: id) != nil { try publish(caID: id, connection: connection, now: now) }
    }

    /// Rebuilds the CRL of the CA `caID` from what it revoked, in the caller's transaction.
    @discardableResult
    public func publish(caID: String, connection: WriteSession, now: Date) throws -> PublishedCRL {
        // The lock comes first: a publisher that waited for another then reads the revocations that
        // one committed (PostgreSQL's READ COMMITTED takes a new snapshot per statement), so no
        // CRL drops a revocation made concurrently on another instance.
        let previous = try connection.publishedCRL(issuerID: caID, forUpdate: true)
        let isRoot = caID == authority.root.id
        let revoked: [RevokedCertificate]
        if isRoot {
            revoked = try connection.issuerRevocations().map {
                RevokedCertificate(serialNumber: $0.serialNumber, revocation: $0.revocation)
            }
        } else {
            revoked = try connection.revokedCertificates(issuerID: caID, unexpiredAt: now)
                .map { RevokedCertificate(serialNumber: $0.0, revocation: $0.1) }
        }
        let number = (previous?.number ?? 0) + 1
        let nextUpdate = now.addingTimeInterval(isRoot ? rootCRLLifetime : crlLifetime)
        let der = try authority.revocationList(
            caID: caID, number: number, thisUpdate: now, nextUpdate: nextUpdate, revoked: revoked)
        let crl = PublishedCRL(issuerID: caID, number: number, thisUpdate: now, nextUpdate: nextUpdate, der: der)
        try connection.publishCRL(crl, replacing: previous != nil)
        return crl
    }

    /// The current CRL of `caID`, building it when there is none or it is due; `nil` for an unknown CA.
    public func currentCRL(caID: String, store: SignetStore, now: Date) async throws -> PublishedCRL? {
        guard authority.ca(id: caID) != nil else { return nil }
        if let crl = try await store.read({ try $0.publishedCRL(issuerID: caID) }),
            now.timeIntervalSince(crl.thisUpdate) < crlRefreshInterval
        {
            return crl
        }
        return try await store.write { connection in
            if let crl = try connection.publishedCRL(issuerID: caID, forUpdate: true),
                now.timeIntervalSince(crl.thisUpdate) < self.crlRefreshInterval
            {
                return crl
            }
            return try self.publish(caID: caID, connection: connection, now: now)
        }
    }

    /// Brings every CA's CRL up to date (the background pass and the start).
    public func refreshCRLs(store: SignetStore, now: Date) async throws {
        for id in caIDs { _ = try await currentCRL(caID: id, store: store, now: now) }
    }

    /// The OCSP response to a DER request: statuses read from the store, signed by the CA that issued
    /// what the request asks about (an issuing CA for subscriber certificates, the root for issuing CAs).
    public func ocspResponse(to request: [UInt8], store: SignetStore, now: Date) async -> OCSPAnswer {
        let query: OCSPQuery
        do {
            query = try OCSPQuery(der: request)
        } catch {
            return OCSPAnswer(der: CertificateAuthority.ocspMalformedRequest, thisUpdate: now, nextUpdate: nil)
        }
        // One responder signs a response: the CA of the first CertID it knows answers for every item
        // it issued; items of other CAs are `unknown` to it.
        guard let responder = query.items.lazy.compactMap({ self.authority.responder(for: $0) }).first else {
            return OCSPAnswer(der: CertificateAuthority.ocspUnauthorized, thisUpdate: now, nextUpdate: nil)
        }
        let cacheKey = query.nonce == nil && query.items.count == 1 ? query.items[0].certIDDER.hexString : nil
        let nextUpdate = now.addingTimeInterval(ocspLifetime)
        do {
            // Every revocation publishes a new CRL of its CA in its transaction, so the CRL number read
            // before the statuses tells any instance whether a cached answer is still true.
            let generation = try await store.read { try $0.crlNumber(issuerID: responder.id) } ?? 0
            if let cacheKey, let cached = ocspCache.response(for: cacheKey, generation: generation, now: now) { return cached }
            let authority = self.authority
            let statuses = try await store.read { connection in
                try Self.statuses(of: query.items, responder: responder, authority: authority, connection: connection)
            }
            let der = try authority.ocspResponse(
                responder: responder, statuses: statuses, nonce: query.nonce, now: now, nextUpdate: nextUpdate)
            let answer = OCSPAnswer(der: der, thisUpdate: now, nextUpdate: nextUpdate)
            if let cacheKey, statuses.allSatisfy({ $0.status != .unknown }) {
                ocspCache.store(answer, for: cacheKey, expires: now.addingTimeInterval(3600), generation: generation)
            }
            return answer
        } catch {
            return OCSPAnswer(der: CertificateAuthority.ocspInternalError, thisUpdate: now, nextUpdate: nil)
        }
    }

    private static func statuses(
        of items: [OCSPQuery.Item], responder: CACertificate, authority: CertificateAuthority,
        connection: StoreSession<some SessionAccess>
    ) throws -> [(item: OCSPQuery.Item, status: OCSPStatus)] {
        var statuses: [(item: OCSPQuery.Item, status: OCSPStatus)] = []
        let isRoot = responder.id == authority.root.id
        let revokedIssuers = isRoot ? try connection.issuerRevocations() : []
        for item in items {
            guard responder.isIssuer(of: item) else {
                statuses.append((item, .unknown))
                continue
            }
            if isRoot {
                let issuer = authority.issuers.first {
                    $0.ca.certificate.serialNumber.bytes.drop(while: { $0 == 0 }).hexString == item.serialNumber
                }
                if let issuer, let revoked = revokedIssuers.first(where: { $0.issuerID == issuer.id }) {
                    statuses.append((item, .revoked(revoked.revocation)))
                } else {
                    statuses.append((item, issuer == nil ? .unknown : .good))
                }
                continue
            }
            let certificate = try connection.certificate(serialNumber: item.serialNumber)
            switch (certificate?.status, certificate?.revocation, certificate?.issuance?.issuerID == responder.id) {
            case (.revoked?, let revocation?, true): statuses.append((item, .revoked(revocation)))
            case (.issued?, _, true): statuses.append((item, .good))
            default: statuses.append((item, .unknown))
            }
        }
        return statuses
    }
}

/// A signed OCSP answer, with the times an HTTP cache needs (RFC 5019 6).
public struct OCSPAnswer: Sendable {
    public let der: [UInt8]
    public let thisUpdate: Date
    /// `nil` for unsuccessful answers, which must not be cached.
    public let nextUpdate: Date?

    public init(der: [UInt8], thisUpdate: Date, nextUpdate: Date?) {
        self.der = der
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }
}

/// Signed OCSP responses by CertID, valid while the CRL number they were built under is current
/// (no revocation since) and for at most an hour.
public final class OCSPResponseCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (generation: Int64, expires: Date, answer: OCSPAnswer)] = [:]

    public func response(for key: String, generation: Int64, now: Date) -> OCSPAnswer? {
        lock.withLock {
            guard let entry = entries[key], entry.generation == generation, entry.expires > now else { return nil }
            return entry.answer
        }
    }

    public func store(_ answer: OCSPAnswer, for key: String, expires: Date, generation: Int64) {
        lock.withLock {
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = (generation, expires, answer)
        }
    }

    /// Forgets every answer: a restored database (the test double) may reuse a CRL number.
    public func removeAll() { lock.withLock { entries.removeAll() } }
}
