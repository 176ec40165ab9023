import Foundation
import SQLKit

extension StoreConnection {
    /// Records `rootFingerprint` as the database's CA on first start; afterwards returns the
    /// fingerprint recorded before when it differs (nil when they match).
    public func bindCertificateAuthority(rootFingerprint: String, at now: Date) async throws -> String? {
        struct Row: Codable, Sendable {
            var id: Int
            var rootFingerprint: String
            var recordedAt: Date
        }
        let recorded = try await sql.select().column("root_fingerprint").from("certificate_authority")
            .where("id", .equal, 1).first(decodingColumn: "root_fingerprint", as: String.self)
        if let recorded { return recorded == rootFingerprint ? nil : recorded }
        try await sql.insert(into: "certificate_authority")
            .model(Row(id: 1, rootFingerprint: rootFingerprint, recordedAt: now), with: Self.encoder).run()
        return nil
    }
}
