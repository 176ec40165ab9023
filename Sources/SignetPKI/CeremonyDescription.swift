import Foundation
import SignetCore
import SignetHSM
import X509

/// One key ceremony, as an operator writes it down beforehand in one JSON file (`signet ceremony
/// FILE`; docs/hsm.md). Boulder's ceremony tool is the model: every choice is in the file, so that
/// the ceremony can be reviewed before it runs and repeated exactly; nothing is asked at the time.
///
/// - `root`: find or generate the root key on the token, build the self-signed root, lint, sign.
/// - `intermediate`: find or generate an issuing CA's key on the token, and have the root's key
///   sign its certificate (the root then goes back in the safe).
/// - `crl`: the root's CRL, listing the issuing CAs it revokes, for a server whose root is offline.
///
/// Paths are relative to the description's folder. Keys are PKCS#11 URIs (RFC 7512) whose PIN is
/// read from `pin-source`; a `pin-value` is refused, so that no PIN sits in a file that is kept.
public struct CeremonyDescription: Decodable, Sendable {
    public enum Kind: String, Decodable, Sendable { case root, intermediate, crl }

    public struct Key: Decodable, Sendable {
        /// `pkcs11:token=…;object=…?module-path=…&pin-source=file:…`
        public var uri: String
        /// `p256` or `p384` (the root's default), for a key generated now.
        public var curve: String?
    }

    public struct Subject: Decodable, Sendable {
        public var commonName: String
        public var organization: String
        public var country: String
    }

    public struct Revoked: Decodable, Sendable {
        /// The issuing CA's certificate (PEM).
        public var certificate: String
        /// An RFC 5280 reason name (`keyCompromise`, `cessationOfOperation`, …); `unspecified` if absent.
        public var reason: String?
        public var revokedAt: Date?
    }

    public struct Outputs: Decodable, Sendable {
        /// Where the certificate is written (root, intermediate).
        public var certificate: String?
        /// Where an intermediate's key file is written: the URI of its key, for `ca/tls.key`.
        public var keyFile: String?
        /// Where the CRL is written (crl), DER.
        public var crl: String?
        /// Where the transcript is written (JSON).
        public var transcript: String
    }

    public var type: Kind
    /// The key the ceremony makes a certificate for (root, intermediate).
    public var key: Key?
    /// The root's key, which signs (intermediate, crl).
    public var signingKey: Key?
    /// The root's certificate (intermediate, crl).
    public var issuerCertificate: String?
    public var subject: Subject?
    /// `tls` or `smime` (intermediate).
    public var family: String?
    /// The base URL the server publishes CRLs and CA certificates under (`--pki-url`), which an
    /// intermediate's certificate points at.
    public var pkiURL: String?
    public var notBefore: Date?
    public var validityDays: Int
    /// The CRL's number (crl): larger than the last one's.
    public var crlNumber: Int64?
    public var revoked: [Revoked]?
    public var outputs: Outputs

    private enum CodingKeys: String, CodingKey {
        // The decoder turns `pki_url` into `pkiUrl`.
        case type, key, signingKey, issuerCertificate, subject, family, pkiURL = "pkiUrl", notBefore, validityDays
        case crlNumber, revoked, outputs
    }

    /// Reads and checks a description: each kind's fields are present and within bounds.
    public static func read(_ data: Data) throws -> CeremonyDescription {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        let description: CeremonyDescription
        do {
            description = try decoder.decode(CeremonyDescription.self, from: data)
        } catch {
            throw CeremonyError.description("not a ceremony description: \(error)")
        }
        try description.check()
        return description
    }

    private func check() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw CeremonyError.description(message) }
        }
        let lifetime = type == .crl ? 1...366 : type == .root ? 1...(25 * 366) : 1...(15 * 366)
        try require(lifetime.contains(validityDays), "validity_days for a \(type.rawValue) is within \(lifetime)")
        for key in [key, signingKey].compactMap({ $0 }) {
            let uri = try PKCS11URI(key.uri)
            try require(
                uri.pinSource != nil && !key.uri.contains("pin-value"), "keys read their PIN from pin-source, never pin-value")
            try require(["p256", "p384", nil].contains(key.curve), "a key's curve is p256 or p384")
        }
        switch type {
        case .root:
            try require(
                key != nil && subject != nil && outputs.certificate != nil,
                "a root ceremony names key, subject and outputs.certificate")
        case .intermediate:
            try require(
                key != nil && signingKey != nil && issuerCertificate != nil && subject != nil && outputs.certificate != nil,
                "an intermediate ceremony names key, signing_key, issuer_certificate, subject and outputs.certificate")
            try require(["tls", "smime"].contains(family ?? ""), "an intermediate's family is tls or smime")
            try require(
                pkiURL.map { $0.hasPrefix("http://") } ?? false, "pki_url is the http base URL the server publishes under")
        case .crl:
            try require(
                signingKey != nil && issuerCertificate != nil && outputs.crl != nil && (crlNumber ?? 0) > 0,
                "a CRL ceremony names signing_key, issuer_certificate, crl_number (from 1) and outputs.crl")
        }
    }
}

/// Why a ceremony stopped. Nothing is written after the step that failed.
public enum CeremonyError: Error, Sendable, CustomStringConvertible {
    case description(String)
    case step(String, String)

    public var description: String {
        switch self {
        case .description(let message): return "ceremony description: \(message)"
        case .step(let step, let message): return "ceremony step '\(step)': \(message)"
        }
    }
}
