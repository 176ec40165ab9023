import Foundation

extension StoreSession where Access == ReadWrite {
    /// Records `rootFingerprint` as the database's CA on first start; afterwards returns the
    /// fingerprint recorded before when it differs (nil when they match).
    public func bindCertificateAuthority(rootFingerprint: String, at now: Date) throws -> String? {
        if let recorded = try row("SELECT root_fingerprint FROM certificate_authority WHERE id = 1") {
            let fingerprint = try recorded.string("root_fingerprint")
            return fingerprint == rootFingerprint ? nil : fingerprint
        }
        try execute(
            "INSERT INTO certificate_authority (id, root_fingerprint, recorded_at) VALUES (1, ?, ?)", [rootFingerprint, now])
        return nil
    }
}
