import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A parsed OCSP request (RFC 6960 4.1): the certificates asked about and the nonce, if any.
public struct OCSPQuery: Sendable {
    /// One `CertID`, with its DER kept to echo it back byte for byte.
    public struct Item: Sendable {
        public let certIDDER: [UInt8]
        public let hashAlgorithm: ASN1ObjectIdentifier
        public let issuerNameHash: [UInt8]
        public let issuerKeyHash: [UInt8]
        /// Upper-case hex without leading zero bytes, as Signet stores serial numbers.
        public let serialNumber: String
    }

    public let items: [Item]
    /// The nonce extension's value (RFC 8954), echoed in the response: the DER of an OCTET STRING
    /// of 1 to 32 octets. A request with a nonce outside that range is malformed (RFC 9654).
    public let nonce: [UInt8]?

    static let nonceOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]

    /// Parses a DER OCSP request; throws for anything malformed.
    public init(der: [UInt8]) throws {
        let root = try DER.parse(der)
        guard case .constructed(let outer) = root.content, let tbs = outer.first(where: { _ in true }),
            case .constructed(let tbsFields) = tbs.content
        else { throw OCSPError.malformed }
        var items: [Item] = []
        var nonce: [UInt8]?
        for field in tbsFields {
            if field.identifier == .sequence, case .constructed(let requests) = field.content {
                for request in requests {
                    guard case .constructed(let requestFields) = request.content,
                        let certID = requestFields.first(where: { _ in true })
                    else { throw OCSPError.malformed }
                    items.append(try Self.item(certID))
                }
            } else if field.identifier == ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific),
                case .constructed(let wrapped) = field.content, let list = wrapped.first(where: { _ in true }),
                case .constructed(let extensions) = list.content
            {
                for node in extensions {
                    let ext = try Certificate.Extension(derEncoded: node)
                    guard ext.oid == Self.nonceOID else { continue }
                    let inner = try ASN1OctetString(derEncoded: ext.value)
                    guard (1...32).contains(inner.bytes.count) else { throw OCSPError.malformed }
                    nonce = Array(ext.value)
                }
            }
        }
        guard !items.isEmpty else { throw OCSPError.malformed }
        self.items = items
        self.nonce = nonce
    }

    private static func item(_ node: ASN1Node) throws -> Item {
        guard case .constructed(let fields) = node.content else { throw OCSPError.malformed }
        var iterator = fields.makeIterator()
        guard let algorithm = iterator.next(), case .constructed(let algorithmFields) = algorithm.content,
            let oidNode = algorithmFields.first(where: { _ in true }), let nameHash = iterator.next(),
            let keyHash = iterator.next(), let serial = iterator.next()
        else { throw OCSPError.malformed }
        let serialBytes = try ArraySlice<UInt8>(derEncoded: serial).drop(while: { $0 == 0 })
        return Item(
            certIDDER: Array(node.encodedBytes), hashAlgorithm: try ASN1ObjectIdentifier(derEncoded: oidNode),
            issuerNameHash: Array(try ASN1OctetString(derEncoded: nameHash).bytes),
            issuerKeyHash: Array(try ASN1OctetString(derEncoded: keyHash).bytes), serialNumber: serialBytes.hexString)
    }
}

public enum OCSPError: Error, Sendable {
    case malformed
}

/// A certificate's status as OCSP reports it.
public enum OCSPStatus: Sendable, Equatable {
    case good
    case revoked(Revocation)
    case unknown
}

/// An OCSP response before it is signed (RFC 6960 4.2): signed by the CA that issued what it
/// answers about (an issuing CA for subscriber certificates, the root for issuing CAs), the
/// responder named by key hash. The pre-issuance lint judges this value.
struct OCSPResponseBuilder: Sendable {
    static let basicResponseOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]

    let responder: CACertificate
    let statuses: [(certIDDER: [UInt8], status: OCSPStatus)]
    let producedAt: Date
    let nextUpdate: Date
    let nonce: [UInt8]?

    func signed(by key: Certificate.PrivateKey) throws -> [UInt8] {
        let context = { (number: UInt) in ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific) }
        let responderKeyHash = responder.certIDHashes[CACertificate.sha1]?.key ?? []
        var data = DER.Serializer()
        try data.appendConstructedNode(identifier: .sequence) { responseData in
            try responseData.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) {
                try $0.serialize(ASN1OctetString(contentBytes: responderKeyHash[...]))
            }
            try responseData.serialize(try ASN1Time.generalized(producedAt))
            try responseData.appendConstructedNode(identifier: .sequence) { responses in
                for (certID, status) in statuses {
                    try responses.appendConstructedNode(identifier: .sequence) { single in
                        single.serializeRawBytes(certID)
                        switch status {
                        case .good:
                            single.appendPrimitiveNode(identifier: context(0)) { _ in }
                        case .unknown:
                            single.appendPrimitiveNode(identifier: context(2)) { _ in }
                        case .revoked(let revocation):
                            try single.appendConstructedNode(identifier: context(1)) { info in
                                try info.serialize(ASN1Time.generalized(revocation.date))
                                if revocation.reason != .unspecified {
                                    info.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) {
                                        $0.appendEnumerated(revocation.reason.code)
                                    }
                                }
                            }
                        }
                        try single.serialize(try ASN1Time.generalized(producedAt))
                        try single.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) {
                            try $0.serialize(try ASN1Time.generalized(nextUpdate))
                        }
                    }
                }
            }
            if let nonce {
                try responseData.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { explicit in
                    try explicit.serializeSequenceOf([
                        Certificate.Extension(oid: OCSPQuery.nonceOID, critical: false, value: nonce[...])
                    ])
                }
            }
        }
        let algorithm = responder.keyFamily.algorithm(for: responder.keyFamily.naturalHash)
        let basic = try key.signedStructure(tbs: data.serializedBytes, algorithm: algorithm)
        var response = DER.Serializer()
        try response.appendConstructedNode(identifier: .sequence) { outer in
            outer.appendEnumerated(0)  // successful
            try outer.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { bytes in
                    try bytes.serialize(Self.basicResponseOID)
                    try bytes.serialize(ASN1OctetString(contentBytes: basic[...]))
                }
            }
        }
        return response.serializedBytes
    }

    /// An unsuccessful response: 1 malformedRequest, 2 internalError, 3 tryLater, 6 unauthorized.
    static func unsuccessful(_ status: Int) -> [UInt8] {
        [0x30, 0x03, 0x0A, 0x01, UInt8(status)]
    }
}
