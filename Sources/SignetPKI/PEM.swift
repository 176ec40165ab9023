import SwiftASN1

/// PEM helpers for callers that do not import swift-asn1.
public enum PEM {
    /// A PEM block ending in a line break, so that blocks can be concatenated into bundles: the
    /// bytes swift-asn1's `PEMDocument.pemString` writes (64-character lines), plus the break.
    /// Written in one buffer, because every order answers with its chain in PEM and `pemString`
    /// builds a string per line (2.6 % of an order's CPU).
    public static func encode(type: String, der: [UInt8]) -> String {
        let bodyLength = (der.count + 2) / 3 * 4
        var out: [UInt8] = []
        out.reserveCapacity(bodyLength + bodyLength / 64 + 2 * type.utf8.count + 40)
        out += "-----BEGIN ".utf8
        out += type.utf8
        out += "-----\n".utf8
        var lineLength = 0
        func emit(_ byte: UInt8) {
            if lineLength == 64 {
                out.append(UInt8(ascii: "\n"))
                lineLength = 0
            }
            out.append(byte)
            lineLength += 1
        }
        var index = 0
        while index < der.count {
            let first = der[index]
            let second = index + 1 < der.count ? der[index + 1] : 0
            let third = index + 2 < der.count ? der[index + 2] : 0
            emit(alphabet[Int(first >> 2)])
            emit(alphabet[Int((first & 0x03) << 4 | second >> 4)])
            emit(index + 1 < der.count ? alphabet[Int((second & 0x0F) << 2 | third >> 6)] : UInt8(ascii: "="))
            emit(index + 2 < der.count ? alphabet[Int(third & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        if !der.isEmpty { out.append(UInt8(ascii: "\n")) }
        out += "-----END ".utf8
        out += type.utf8
        out += "-----\n".utf8
        return String(decoding: out, as: UTF8.self)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The DER inside a PEM block.
    public static func derBytes(of pem: String) throws -> [UInt8] {
        try PEMDocument(pemString: pem).derBytes
    }
}
