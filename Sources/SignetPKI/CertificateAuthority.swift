import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A certificate Signet signed, in the forms the API reports.
public struct SignedCertificate: Sendable {
    public let certificate: Certificate
    public let der: [UInt8]
    public let pem: String
    /// Upper-case hex, no separators.
    public let serialNumber: String
    /// SHA-1 of the DER, upper-case hex: CertCentral's `thumbprint`.
    public let thumbprint: String
    /// The hash actually used: see ``CertificateAuthority/signatureHash(for:family:)``.
    public let signatureHash: SignatureHash
    /// The issuing CA's id (`ca_cert_id`).
    public let issuerID: String
}

/// A subscriber certificate ready to be signed: linted, with the issuing CA that will sign it.
public struct PreparedCertificate: Sendable {
    public let tbs: ToBeSignedCertificate
    public let issuer: IssuingCA
    public let signatureHash: SignatureHash
}

/// The certificate authority: a root and its issuing CAs (one per family, and any retired ones),
/// signing through a key provider. It builds and lints every to-be-signed object before a key signs
/// it, and never touches HTTP or the database.
public struct CertificateAuthority: Sendable {
    public let root: CACertificate
    /// Current issuing CAs first, then retired ones.
    public let issuers: [IssuingCA]
    let keys: any KeyProvider
    /// Set when the root stays offline (docs/hsm.md, "Keeping the root offline"): the server holds
    /// no root key, publishes the CRL the root signed at its last ceremony, and answers no OCSP
    /// for issuing CAs.
    public let offlineRootCRL: CeremonyCRL?

    public init(root: CACertificate, issuers: [IssuingCA], keys: any KeyProvider, offlineRootCRL: CeremonyCRL? = nil) throws {
        self.root = root
        self.offlineRootCRL = offlineRootCRL
        self.issuers = issuers.filter(\.isCurrent) + issuers.filter { !$0.isCurrent }
        self.keys = keys
        for family in CertificateFamily.allCases
        where self.issuers.first(where: { $0.isCurrent && $0.families.contains(family) }) == nil {
            throw CAFilesError.noIssuer(family: family)
        }
    }

    /// Whether signatures must happen outside write transactions (see ``KeyProvider/signsSlowly``).
    public var signsSlowly: Bool { keys.signsSlowly }

    /// The key whose token does not answer now (see ``KeyProvider/unavailableSigner``).
    public var unavailableSigner: String? { keys.unavailableSigner }

    /// The current issuing CA of `family`.
    public func issuer(for family: CertificateFamily) -> IssuingCA {
        // `init` checked that every family has one.
        issuers.first { $0.isCurrent && $0.families.contains(family) } ?? issuers[0]
    }

    /// The issuing CA with CertCentral id `id` (current or retired).
    public func issuer(id: String) -> IssuingCA? { issuers.first { $0.id == id } }

    /// The root or an issuing CA, by id.
    public func ca(id: String) -> CACertificate? { id == root.id ? root : issuer(id: id)?.ca }

    /// Issuing CA, then root: the chain of a certificate issued by `issuerID` (the current TLS issuing
    /// CA's for an unknown id).
    public func chain(issuerID: String?) -> [ChainCertificate] {
        let issuing = issuerID.flatMap(issuer(id:)) ?? issuer(for: .tls)
        return [issuing.ca.chainEntry, root.chainEntry]
    }

    /// The issuing CA of a stored certificate: the one that signed it, or for one not yet signed the
    /// current CA of its product's family.
    public func issuer(of certificate: CertificateRecord, family: CertificateFamily) -> IssuingCA {
        certificate.issuance.flatMap { issuer(id: $0.issuerID) } ?? issuer(for: family)
    }

    /// The chain (issuing CA, root) of a stored certificate.
    public func chain(of certificate: CertificateRecord, family: CertificateFamily) -> [ChainCertificate] {
        [issuer(of: certificate, family: family).ca.chainEntry, root.chainEntry]
    }

    /// The hash Signet signs with when a client asks for `requested`.
    ///
    /// An RSA issuing key signs with the hash asked for. An ECDSA key signs with the hash that matches
    /// its curve, because the Baseline Requirements (7.1.3.2.2) pair P-256 with SHA-256 and P-384 with
    /// SHA-384 and nothing else. Orders report the hash actually used.
    public func signatureHash(for requested: SignatureHash, family: CertificateFamily) -> SignatureHash {
        switch issuer(for: family).ca.keyFamily {
        case .rsa: return requested
        case .p256: return .sha256
        case .p384: return .sha384
        }
    }

    /// The subscriber certificate `request` asks for, built and linted but not signed. A finding
    /// caused by the request throws before anything is stored, charged or signed.
    public func prepare(
        _ request: LeafRequest, serial: SerialNumber = .random(), now: Date
    ) throws(LintFailure) -> PreparedCertificate {
        let issuer = issuer(for: request.product.family)
        let hash = signatureHash(for: request.signatureHash, family: request.product.family)
        let tbs: ToBeSignedCertificate
        do {
            tbs = ToBeSignedCertificate(
                profile: .subscriber(request.product, request.namePolicy), serialNumber: serial, publicKey: request.publicKey,
                notBefore: request.notBefore, notAfter: request.notAfter, issuer: issuer.ca.subject,
                subject: try LeafProfile.subject(for: request), signatureAlgorithm: issuer.ca.keyFamily.algorithm(for: hash),
                extensions: try LeafProfile.extensions(for: request, issuer: issuer.ca, endpoints: request.endpoints))
        } catch {
            throw LintFailure(findings: [
                LintFinding(
                    rule: "RFC 5280 4.1", message: "the certificate cannot be encoded: \(error)", cause: .request(field: nil))
            ])
        }
        try PreIssuanceLint.require(tbs, issuer: issuer.ca, now: now)
        return PreparedCertificate(tbs: tbs, issuer: issuer, signatureHash: hash)
    }

    /// Signs a prepared certificate with its issuing CA's key.
    public func sign(_ prepared: PreparedCertificate) async throws -> SignedCertificate {
        let key = try keys.privateKey(for: prepared.issuer.ca.certificate.publicKey)
        let certificate =
            keys.signsSlowly
            ? try await prepared.tbs.signedAsynchronously(by: key) : try prepared.tbs.signed(by: key)
        return try Self.signed(certificate, prepared: prepared)
    }

    /// Signs a prepared certificate on the caller's thread (keys in memory).
    public func signNow(_ prepared: PreparedCertificate) throws -> SignedCertificate {
        let key = try keys.privateKey(for: prepared.issuer.ca.certificate.publicKey)
        return try Self.signed(try prepared.tbs.signed(by: key), prepared: prepared)
    }

    private static func signed(_ certificate: Certificate, prepared: PreparedCertificate) throws -> SignedCertificate {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        return SignedCertificate(
            certificate: certificate, der: der, pem: PEM.encode(type: "CERTIFICATE", der: der),
            serialNumber: prepared.tbs.serialNumber.hex, thumbprint: Array(Insecure.SHA1.hash(data: der)).hexString,
            signatureHash: prepared.signatureHash, issuerID: prepared.issuer.id)
    }
}

extension CertificateAuthority {
    /// A full CRL of the CA `caID` (the root's lists revoked issuing CAs), linted, then signed.
    public func revocationList(
        caID: String, number: Int64, thisUpdate: Date, nextUpdate: Date, revoked: [RevokedCertificate]
    )
        throws -> [UInt8]
    {
        guard let ca = ca(id: caID) else { throw CAFilesError.missingKey(publicKey: caID) }
        let list = RevocationList(
            issuer: ca, number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, revoked: revoked,
            isRoot: caID == root.id)
        try PreIssuanceLint.require(list)
        return try list.signed(by: try keys.privateKey(for: ca.certificate.publicKey))
    }

    /// The CA that issued what an OCSP CertID names: an issuing CA for subscriber certificates, the
    /// root for issuing CAs.
    public func responder(for item: OCSPQuery.Item) -> CACertificate? {
        if root.isIssuer(of: item) { return root }
        return issuers.first { $0.ca.isIssuer(of: item) }?.ca
    }

    /// A signed OCSP response from `responder` for `statuses`, valid from `now` to `nextUpdate`, echoing `nonce`.
    public func ocspResponse(
        responder: CACertificate, statuses: [(item: OCSPQuery.Item, status: OCSPStatus)], nonce: [UInt8]?, now: Date,
        nextUpdate: Date
    ) throws -> [UInt8] {
        let response = OCSPResponseBuilder(
            responder: responder, statuses: statuses.map { ($0.item.certIDDER, $0.status) }, producedAt: now,
            nextUpdate: nextUpdate, nonce: nonce)
        try PreIssuanceLint.require(response)
        return try response.signed(by: try keys.privateKey(for: responder.certificate.publicKey))
    }

    /// The OCSP answer to a request that could not be parsed.
    public static var ocspMalformedRequest: [UInt8] { OCSPResponseBuilder.unsuccessful(1) }
    /// The OCSP answer when the responder itself failed.
    public static var ocspInternalError: [UInt8] { OCSPResponseBuilder.unsuccessful(2) }
    /// The OCSP answer about certificates of a CA this responder does not serve.
    public static var ocspUnauthorized: [UInt8] { OCSPResponseBuilder.unsuccessful(6) }
}
