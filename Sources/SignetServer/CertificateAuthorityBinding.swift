import Crypto
import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// Why `signet serve` refused to start.
public enum StartupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The data folder's root CA is not the one the database's certificates were issued under.
    case foreignCertificateAuthority(dataFolder: String, folderRoot: String, databaseRoot: String)
    /// `--ca-key` names another key type than the existing CA's.
    case caKeyMismatch(caFolder: String, existing: IssuingKeyType?, asked: IssuingKeyType)
    /// The listener's TLS certificate or key cannot be used.
    case tls(String)
    /// `--port 0` found no free port.
    case port(String)
    /// A setting from the environment that Signet cannot use (`LOG_LEVEL`).
    case setting(String)

    public var description: String {
        switch self {
        case .foreignCertificateAuthority(let folder, let folderRoot, let databaseRoot):
            return """
                the database belongs to the root CA with SHA-256 fingerprint \(databaseRoot), but the data folder \
                \(folder) holds the root CA \(folderRoot). Instances that share a database must share the data \
                folder's ca/ files too (docs/postgresql.md); Signet will not issue under a second root.
                """
        case .caKeyMismatch(let folder, let existing, let asked):
            return """
                --ca-key \(asked.rawValue) applies to a new CA only, and the CA in \(folder) already has \
                \(existing.map { "a \($0.rawValue)" } ?? "another") issuing key. Leave --ca-key out to keep it \
                (docs/pki.md says how to rotate issuing CAs).
                """
        case .tls(let reason): return "the TLS listener cannot start: \(reason)"
        case .port(let reason), .setting(let reason): return reason
        }
    }
}

/// Ties a database to the root CA that first served it.
///
/// Several instances on one PostgreSQL must sign with the same keys. An instance started with a new
/// data folder would otherwise create a CA of its own and issue certificates that chain to a root
/// nobody trusts, beside the real ones; it stops instead, and says which folder is wrong.
enum CertificateAuthorityBinding {
    static func check(_ authority: CertificateAuthority, store: SignetStore, dataFolder: URL, now: Date) async throws {
        let fingerprint = Hex.uppercase(SHA256.hash(data: authority.root.der))
        if let recorded = try await store.write({ try $0.bindCertificateAuthority(rootFingerprint: fingerprint, at: now) }) {
            throw StartupError.foreignCertificateAuthority(
                dataFolder: dataFolder.path, folderRoot: fingerprint, databaseRoot: recorded)
        }
    }
}
