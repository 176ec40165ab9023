import SwiftASN1
import X509

/// A "certs-only" PKCS#7 / CMS SignedData (RFC 5652 with no signers): how `.p7b` files
/// carry a certificate chain.
public enum PKCS7Bundle {
    private static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    private static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]

    /// DER of the bundle holding `certificates` (each DER) in the given order.
    public static func der(certificates: [[UInt8]]) throws -> [UInt8] {
        let contextZero = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { contentInfo in
            try contentInfo.serialize(signedData)
            try contentInfo.appendConstructedNode(identifier: contextZero) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { body in
                    try body.serialize(1)  // version
                    body.appendConstructedNode(identifier: .set) { _ in }  // digestAlgorithms
                    try body.appendConstructedNode(identifier: .sequence) { try $0.serialize(data) }  // encapContentInfo
                    body.appendConstructedNode(identifier: contextZero) { set in
                        for certificate in certificates { set.serializeRawBytes(certificate) }
                    }
                    body.appendConstructedNode(identifier: .set) { _ in }  // signerInfos
                }
            }
        }
        return serializer.serializedBytes
    }

    /// The bundle as PEM (`-----BEGIN PKCS7-----`), as CertCentral serves `p7b` and `cer`.
    public static func pem(certificates: [[UInt8]]) throws -> String {
        PEM.encode(type: "PKCS7", der: try der(certificates: certificates))
    }
}
