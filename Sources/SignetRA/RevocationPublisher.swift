import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// Publishes revocation status to relying parties: a CRL per CA (each issuing CA's lists its
/// certificates, the root's lists revoked issuing CAs), rebuilt when what is revoked changes, and
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

    /// What the CRL of `caID` lists now: the root's, the revoked issuing CAs; an issuing CA's, the
    /// certificates it issued that are revoked and not yet expired at `now`.
    func revoked(caID: String, connection: StoreSession<some SessionAccess>, now: Date) throws -> [RevokedCertificate] {
        if caID == authority.root.id {
            return try connection.issuerRevocations().map {
                RevokedCertificate(serialNumber: $0.serialNumber, revocation: $0.revocation)
            }
        }
        return try connection.revokedCertificates(issuerID: caID, unexpiredAt: now)
            .map { RevokedCertificate(serialNumber: $0.0, revocation: $0.1) }
    }

    /// The current CRL of `caID`, `nil` for an unknown CA: the published one while it is fresh and
    /// lists what is revoked now; otherwise a new one. A revocation does not rebuild the CRL in its
    /// own transaction: the next read here (a relying party's fetch, the background pass) sees that
    /// the CA's count of revocations moved past the one the CRL was built from. The new CRL is built and signed outside any transaction (a slow HSM never
    /// holds the writer), then recorded only if no other publisher recorded one meanwhile; otherwise
    /// it is built again from what that one left.
    public func currentCRL(caID: String, store: SignetStore, now: Date) async throws -> PublishedCRL? {
        guard authority.ca(id: caID) != nil else { return nil }
        let isRoot = caID == authority.root.id
        if isRoot, let offline = authority.offlineRootCRL {
            // No root key here: the root's CRL is the one its last ceremony signed.
            return PublishedCRL(
                issuerID: caID, number: offline.number, thisUpdate: offline.thisUpdate, nextUpdate: offline.nextUpdate,
                der: offline.der, revocationsSeen: 0)
        }
        for _ in 0..<5 {
            // The CA's count of revocations only grows: unchanged since the CRL was built, and the
            // CRL fresh, nothing needs listing (one index range count per read and pass).
            let (previous, count) = try await store.read { connection in
                (try connection.publishedCRL(issuerID: caID), try connection.revocationCount(issuerID: caID, isRoot: isRoot))
            }
            if let previous, now.timeIntervalSince(previous.thisUpdate) < crlRefreshInterval, previous.revocationsSeen == count {
                return previous
            }
            let (revoked, seen) = try await store.read { connection in
                (
                    try self.revoked(caID: caID, connection: connection, now: now),
                    try connection.revocationCount(issuerID: caID, isRoot: isRoot)
                )
            }
            let number = (previous?.number ?? 0) + 1
            let nextUpdate = now.addingTimeInterval(isRoot ? rootCRLLifetime : crlLifetime)
            let der = try authority.revocationList(
                caID: caID, number: number, thisUpdate: now, nextUpdate: nextUpdate, revoked: revoked)
            let crl = PublishedCRL(
                issuerID: caID, number: number, thisUpdate: now, nextUpdate: nextUpdate, der: der, revocationsSeen: seen)
            let recorded = try await store.write { connection -> Bool in
                let current = try connection.publishedCRL(issuerID: caID, forUpdate: true)
                guard current?.number == previous?.number else { return false }
                try connection.publishCRL(crl, replacing: current != nil)
                return true
            }
            if recorded { return crl }
        }
        return try await store.read { try $0.publishedCRL(issuerID: caID) }
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
        guard let responder = query.items.lazy.compactMap({ self.authority.responder(for: $0) }).first,
            responder.id != authority.root.id || authority.offlineRootCRL == nil
        else {
            return OCSPAnswer(der: CertificateAuthority.ocspUnauthorized, thisUpdate: now, nextUpdate: nil)
        }
        let cacheKey = query.nonce == nil && query.items.count == 1 ? query.items[0].certIDDER.hexString : nil
        let nextUpdate = now.addingTimeInterval(ocspLifetime)
        do {
            // Every revocation changes its CA's count of revocations, so the count read before the
            // statuses tells any instance whether a cached answer is still true.
            let isRoot = responder.id == authority.root.id
            let generation = try await store.read { try $0.revocationCount(issuerID: responder.id, isRoot: isRoot) }
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

    /// Forgets every answer: a restored database (the test double) may repeat a count of revocations.
    public func removeAll() { lock.withLock { entries.removeAll() } }
}
