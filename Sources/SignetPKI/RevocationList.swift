import Foundation
import SignetCore
import SwiftASN1
import X509

/// One revoked certificate as a CRL lists it.
public struct RevokedCertificate: Sendable, Equatable {
    /// Upper-case hex, as stored.
    public let serialNumber: String
    public let revocation: Revocation

    public init(serialNumber: String, revocation: Revocation) {
        self.serialNumber = serialNumber
        self.revocation = revocation
    }
}

/// Builds X.509 v2 CRLs (RFC 5280 5; Baseline Requirements 7.2): full CRLs of one issuing CA,
/// with authority key identifier and CRL number, and a reason code on every entry whose reason
/// is not `unspecified` (BR 7.2.2 wants it absent then).
public enum RevocationList {
    private static let crlNumberOID: ASN1ObjectIdentifier = [2, 5, 29, 20]
    private static let reasonCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 21]

    static func build(
        issuer: Certificate, issuerKeyIdentifier: ArraySlice<UInt8>, key: SigningKey, number: Int64,
        thisUpdate: Date, nextUpdate: Date, revoked: [RevokedCertificate]
    ) throws -> [UInt8] {
        let hash = key.naturalHash
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { list in
            try list.serialize(1)  // v2
            try key.serializeAlgorithm(hash, into: &list)
            try list.serialize(issuer.subject)
            try ASN1Time.serializeTime(thisUpdate, into: &list)
            try ASN1Time.serializeTime(nextUpdate, into: &list)
            if !revoked.isEmpty {
                try list.appendConstructedNode(identifier: .sequence) { entries in
                    for entry in revoked {
                        guard let serial = [UInt8](hex: entry.serialNumber) else { continue }
                        try entries.appendConstructedNode(identifier: .sequence) { item in
                            try item.serialize(ArraySlice(serial))
                            try ASN1Time.serializeTime(entry.revocation.date, into: &item)
                            if entry.revocation.reason != .unspecified {
                                var reason = DER.Serializer()
                                reason.appendEnumerated(entry.revocation.reason.code)
                                let extensions = [
                                    Certificate.Extension(oid: reasonCodeOID, critical: false, value: reason.serializedBytes[...])
                                ]
                                try item.serializeSequenceOf(extensions)
                            }
                        }
                    }
                }
            }
            var crlNumber = DER.Serializer()
            try crlNumber.serialize(number)
            let extensions = [
                try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier), critical: false),
                Certificate.Extension(oid: crlNumberOID, critical: false, value: crlNumber.serializedBytes[...]),
            ]
            try list.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                try explicit.serializeSequenceOf(extensions)
            }
        }
        return try key.signedStructure(tbs: tbs.serializedBytes, hash: hash)
    }
}
