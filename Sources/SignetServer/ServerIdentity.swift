import Crypto
import Foundation
import NIOSSL
import SignetCore
import SignetPKI
import SwiftASN1
import X509

/// The listener's TLS certificate (`--tls-cert`/`--tls-key`, or `--tls self`).
///
/// `--tls self` has Signet's own TLS issuing CA certify the public URL's host (a DNS name or an
/// address, with the private naming policy's rules, since a server's own name is often internal),
/// linted like every certificate. The key and certificate are kept in `<data>/tls/` (0600) and
/// reused while more than 30 days remain; a start after that issues a new one (90 days).
enum ServerIdentity {
    static func tlsConfiguration(
        _ source: SignetConfiguration.TLSSource, configuration: SignetConfiguration, authority: CertificateAuthority, now: Date
    ) throws -> TLSConfiguration {
        switch source {
        case .files(let certificatePath, let keyPath):
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            guard !chain.isEmpty else { throw StartupError.tls("\(certificatePath) holds no certificate") }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        case .selfIssued:
            let (leafPEM, keyPEM) = try selfIssued(configuration: configuration, authority: authority, now: now)
            let issuer = authority.issuer(for: .tls).ca
            let chain = try [leafPEM, issuer.pem].map { try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem) }
            let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        }
    }

    /// The self-issued certificate and key, from `<data>/tls/` while they have 30 days left, else new.
    static func selfIssued(
        configuration: SignetConfiguration, authority: CertificateAuthority, now: Date
    ) throws -> (certificate: String, key: String) {
        let folder = configuration.dataDirectory.appendingPathComponent("tls")
        let certificateFile = folder.appendingPathComponent("self.crt")
        let keyFile = folder.appendingPathComponent("self.key")
        let host = URLComponents(string: configuration.effectivePublicURL)?.host ?? configuration.host
        if let pem = try? String(contentsOf: certificateFile, encoding: .utf8),
            let key = try? String(contentsOf: keyFile, encoding: .utf8),
            let existing = try? Certificate(pemEncoded: pem), existing.notValidAfter > now.addingTimeInterval(30 * 86_400),
            (try? existing.extensions.subjectAlternativeNames)??.contains(where: { name in Self.names(name, host) }) == true
        {
            return (pem, key)
        }
        let key = P256.Signing.PrivateKey()
        let names = CertificateNames(commonName: host.lowercased(), dnsNames: [], emails: [])
        guard let product = ProductCatalog.product(nameID: "ssl_dv_geotrust_flex") else {
            throw StartupError.tls("the catalog has no DV TLS product")
        }
        let notBefore = Order.notBefore(signedAt: now)
        let request = LeafRequest(
            publicKey: Certificate.PublicKey(key.publicKey),
            key: KeyDescription(algorithm: .ecdsa, size: 256), product: product, names: names,
            organization: nil, organizationUnits: [], signatureHash: .sha256, profileOption: .serverAuthOnly,
            notBefore: notBefore, notAfter: notBefore.addingTimeInterval(90 * 86_400 - 1),
            endpoints: PKIEndpoints(base: configuration.effectivePKIURL),
            namePolicy: NamePolicy(scope: .private, singleLabel: true, localhost: true))
        let prepared: PreparedCertificate
        do {
            prepared = try authority.prepare(request, now: now)
        } catch {
            throw StartupError.tls("--tls self cannot certify '\(host)': \(error)")
        }
        let signed = try authority.signNow(prepared)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let keyPEM = key.pemRepresentation
        guard
            FileManager.default.createFile(
                atPath: keyFile.path, contents: Data(keyPEM.utf8), attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(
                atPath: certificateFile.path, contents: Data(signed.pem.utf8), attributes: [.posixPermissions: 0o600])
        else { throw StartupError.tls("cannot write the listener's certificate and key into \(folder.path)") }
        return (signed.pem, keyPEM)
    }

    private static func names(_ name: GeneralName, _ host: String) -> Bool {
        switch name {
        case .dnsName(let value): return value.lowercased() == host.lowercased()
        case .ipAddress(let octets):
            return IPAddress(bytes: Array(octets.bytes))?.description == IPAddress(identifier: host)?.description
        default: return false
        }
    }
}
