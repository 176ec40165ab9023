import Crypto
import Foundation
import SignetCore

/// Signet API keys: a public lookup part and a secret part, stored only as a SHA-256 hash.
///
/// The lookup part finds the row without comparing secrets in SQL; the hash of the whole key
/// is then compared in constant time. A database leak gives hashes of 256-bit random values,
/// which are useless without the keys.
public enum APIKeyFormat {
    public static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    public static let lookupLength = 12
    public static let secretLength = 40

    public struct NewKey: Sendable {
        public let key: String
        public let lookupID: String
        public let hash: String
    }

    public static func generate() -> NewKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(lookupLength + secretLength)).map { _ in alphabet[Int.random(in: alphabet.indices, using: &generator)] }
        let key = String(decoding: bytes, as: UTF8.self)
        return NewKey(key: key, lookupID: String(key.prefix(lookupLength)), hash: hash(key))
    }

    /// The lookup part of a well-formed key; `nil` for anything that cannot be a key.
    public static func lookupID(of key: String) -> String? {
        let bytes = Array(key.utf8)
        guard bytes.count == lookupLength + secretLength, bytes.allSatisfy(alphabet.contains) else { return nil }
        return String(decoding: bytes.prefix(lookupLength), as: UTF8.self)
    }

    public static func hash(_ key: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(key.utf8)))
    }

    /// Compares the key's hash with the stored one without an early exit.
    public static func matches(_ key: String, storedHash: String) -> Bool {
        let computed = Array(hash(key).utf8)
        let stored = Array(storedHash.utf8)
        guard computed.count == stored.count else { return false }
        var difference: UInt8 = 0
        for index in computed.indices { difference |= computed[index] ^ stored[index] }
        return difference == 0
    }
}
