import Crypto
import Foundation
import SignetPKI

/// Seals reseller secrets with AES-GCM under a key kept in the data folder (mode 0600), so that a
/// copy of the database alone does not reveal them. (HMAC verification needs the secret itself,
/// so it cannot be stored as a hash the way API keys are.)
public struct SecretSealer: Sendable {
    public let key: SymmetricKey

    /// Loads `<data>/reseller-secrets.key`, creating it on first use. A key file that exists but
    /// cannot be read is an error: replacing it would make every sealed secret unusable.
    public static func loadOrCreate(directory: URL) throws -> SecretSealer {
        let path = directory.appendingPathComponent("reseller-secrets.key").path
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32
            else {
                throw CAFilesError.unreadable(
                    path: path, reason: "it does not hold a base64 256-bit key; restore it from a backup")
            }
            return SecretSealer(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        try SecretFile.write(key.withUnsafeBytes { Data($0) }.base64EncodedString() + "\n", to: path)
        return SecretSealer(key: key)
    }

    public func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key).combined else {
            throw CAFilesError.cannotWrite(path: "reseller secret", reason: "sealing failed")
        }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else {
            throw CAFilesError.unreadable(path: "reseller secret", reason: "not base64")
        }
        return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
    }
}
