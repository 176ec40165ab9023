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

/// An X.509 v2 CRL before it is signed (RFC 5280 5; Baseline Requirements 7.2): a full CRL of one
/// CA, with authority key identifier and CRL number, and a reason code on every entry whose reason is
/// not `unspecified` (BR 7.2.2 wants it absent then). The pre-issuance lint judges this value.
struct RevocationList: Sendable {
    static let crlNumberOID: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let reasonCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 21]

    let issuer: CACertificate
    let number: Int64
    let thisUpdate: Date
    let nextUpdate: Date
    let revoked: [RevokedCertificate]
    /// Whether this is the root's CRL, listing issuing CAs (BR 4.9.7 lets it run for twelve months).
    let isRoot: Bool

    var algorithm: Certificate.SignatureAlgorithm { issuer.keyFamily.algorithm(for: issuer.keyFamily.naturalHash) }

    func signed(by key: Certificate.PrivateKey) throws -> [UInt8] {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { list in
            try list.serialize(1)  // v2
            try list.serialize(SignatureAlgorithmIdentifier(algorithm))
            try list.serialize(issuer.subject)
            try ASN1Time.serializeTime(thisUpdate, into: &list)
            try ASN1Time.serializeTime(nextUpdate, into: &list)
            if !revoked.isEmpty {
                try list.appendConstructedNode(identifier: .sequence) { entries in
                    for entry in revoked {
                        guard let serial = SerialNumber(hex: entry.serialNumber) else { continue }
                        try entries.appendConstructedNode(identifier: .sequence) { item in
                            try item.serialize(ArraySlice(serial.bytes))
                            try ASN1Time.serializeTime(entry.revocation.date, into: &item)
                            if entry.revocation.reason != .unspecified {
                                var reason = DER.Serializer()
                                reason.appendEnumerated(entry.revocation.reason.code)
                                let extensions = [
                                    Certificate.Extension(
                                        oid: Self.reasonCodeOID, critical: false, value: reason.serializedBytes[...])
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
                try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuer.keyIdentifier), critical: false),
                Certificate.Extension(oid: Self.crlNumberOID, critical: false, value: crlNumber.serializedBytes[...]),
            ]
            try list.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                try explicit.serializeSequenceOf(extensions)
            }
        }
        return try key.signedStructure(tbs: tbs.serializedBytes, algorithm: algorithm)
    }
}
