import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A CRL the root signed at a ceremony (`signet ceremony`, docs/hsm.md), which a server whose root
/// stays offline publishes as it is: it holds no root key to sign another. Read from `ca/root.crl`,
/// checked to be the root's (its issuer and signature) before the server uses it.
public struct CeremonyCRL: Sendable, Equatable {
    public let der: [UInt8]
    public let number: Int64
    public let thisUpdate: Date
    public let nextUpdate: Date

    /// Parses `der` (a DER CRL, or its PEM) and checks that `root` signed it.
    public init(_ bytes: [UInt8], root: CACertificate) throws(CAFilesError) {
        let der = (try? PEM.derBytes(of: String(decoding: bytes, as: UTF8.self))) ?? bytes
        do {
            let list = try DER.parse(der)
            guard case .constructed(let parts) = list.content else { throw Self.invalid("not a SEQUENCE") }
            var outer = parts.makeIterator()
            guard let tbs = outer.next(), let algorithm = outer.next(), let signature = outer.next() else {
                throw Self.invalid("a CRL has three parts")
            }
            guard case .constructed(let fields) = tbs.content else { throw Self.invalid("tbsCertList is not a SEQUENCE") }
            var iterator = fields.makeIterator()
            var field = iterator.next()
            if let version = field, version.identifier == .integer { field = iterator.next() }
            _ = field  // the signature algorithm inside, checked against the outer one below
            guard let issuer = iterator.next(), let thisUpdate = iterator.next(), let nextUpdate = iterator.next() else {
                throw Self.invalid("tbsCertList lacks its issuer or dates")
            }
            guard try DistinguishedName(derEncoded: issuer) == root.subject else {
                throw Self.invalid("it was not issued by the root \(root.id)")
            }
            var number: Int64?
            while let next = iterator.next() {
                guard next.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific),
                    case .constructed(let wrapped) = next.content, let list = wrapped.first(where: { _ in true }),
                    case .constructed(let extensions) = list.content
                else { continue }
                for node in extensions {
                    // Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }
                    guard case .constructed(let members) = node.content, let id = members.first(where: { _ in true }),
                        try ASN1ObjectIdentifier(derEncoded: id) == RevocationList.crlNumberOID,
                        let value = members.reversed().first
                    else { continue }
                    number = try Int64(derEncoded: Array(try ASN1OctetString(derEncoded: value).bytes))
                }
            }
            guard let number else { throw Self.invalid("it has no CRL number") }
            self.der = der
            self.number = number
            self.thisUpdate = try Self.date(thisUpdate)
            self.nextUpdate = try Self.date(nextUpdate)
            try Self.verify(signature: signature, algorithm: algorithm, over: Array(tbs.encodedBytes), root: root)
        } catch let error as CAFilesError {
            throw error
        } catch {
            throw Self.invalid("\(error)")
        }
    }

    private static func invalid(_ reason: String) -> CAFilesError {
        .unreadable(path: "root.crl", reason: "not a CRL of this root: \(reason)")
    }

    private static func date(_ node: ASN1Node) throws -> Date {
        let parts: (Int, Int, Int, Int, Int, Int)
        if node.identifier == UTCTime.defaultIdentifier {
            let time = try UTCTime(derEncoded: node)
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        } else {
            let time = try GeneralizedTime(derEncoded: node)
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        }
        let components = DateComponents(
            year: parts.0, month: parts.1, day: parts.2, hour: parts.3, minute: parts.4, second: parts.5)
        guard let date = Calendar.utc.date(from: components) else { throw invalid("a date out of range") }
        return date
    }

    /// The root's ECDSA signature over the list (a ceremony root is a P-256 or P-384 token key).
    private static func verify(signature: ASN1Node, algorithm: ASN1Node, over tbs: [UInt8], root: CACertificate) throws {
        let bits = try ASN1BitString(derEncoded: signature)
        let value = Array(bits.bytes)
        let identifier = try AlgorithmIdentifierOID(algorithm)
        let key = root.certificate.publicKey
        let valid: Bool
        switch identifier {
        case [1, 2, 840, 10045, 4, 3, 3]:
            guard let key = P384.Signing.PublicKey(key) else { throw invalid("signed with P-384, the root's key is not") }
            valid = key.isValidSignature(try P384.Signing.ECDSASignature(derRepresentation: value), for: SHA384.hash(data: tbs))
        case [1, 2, 840, 10045, 4, 3, 2]:
            guard let key = P256.Signing.PublicKey(key) else { throw invalid("signed with P-256, the root's key is not") }
            valid = key.isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: value), for: SHA256.hash(data: tbs))
        default:
            throw invalid("its signature algorithm \(identifier) is not ECDSA with SHA-256 or SHA-384")
        }
        guard valid else { throw invalid("the root's signature does not verify") }
    }

    /// The OID of an AlgorithmIdentifier.
    private static func AlgorithmIdentifierOID(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        guard case .constructed(let parts) = node.content, let first = parts.first(where: { _ in true }) else {
            throw invalid("a malformed signature algorithm")
        }
        return try ASN1ObjectIdentifier(derEncoded: first)
    }
}
