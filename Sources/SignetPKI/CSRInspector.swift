import Foundation
import SignetCore
import SwiftASN1
import X509

/// Why a CSR cannot be used. Each case says precisely what a client must fix.
public enum CSRProblem: Error, Sendable, Equatable {
    /// Not PEM or DER of a PKCS#10 request; the payload says where parsing stopped.
    case cannotParse(String)
    /// The request is not signed by the key it carries.
    case badSignature
    /// A key algorithm other than RSA or ECDSA.
    case unsupportedKeyAlgorithm(String)
    /// RSA modulus outside 2048...8192 bits or not a multiple of 8 (Baseline Requirements 6.1.5).
    case rsaKeySize(Int)
    /// An RSA public exponent that is even or below 3 (Baseline Requirements 6.1.6).
    case rsaExponent
    /// An elliptic curve other than P-256 or P-384.
    case unsupportedCurve(String)
}

extension CSRProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .cannotParse(let detail): return "it cannot be parsed (\(detail))"
        case .badSignature: return "its signature does not verify with its own key"
        case .unsupportedKeyAlgorithm(let algorithm): return "\(algorithm) keys are not accepted"
        case .rsaKeySize(let bits): return "its RSA key has \(bits) bits; 2048 to 8192 in multiples of 8 are accepted"
        case .rsaExponent: return "its RSA exponent is even or below 3"
        case .unsupportedCurve(let curve): return "the curve \(curve) is not accepted"
        }
    }
}

/// A CSR that parsed, whose self-signature holds, and whose key Signet accepts.
public struct InspectedCSR: Sendable {
    public let request: CertificateSigningRequest
    public let key: KeyDescription
    /// The request re-encoded as canonical PEM, as stored and reported.
    public let pem: String
    public let der: [UInt8]

    public var publicKey: Certificate.PublicKey { request.publicKey }
}

/// Parses and checks PKCS#10 requests: the CA's gate for subscriber keys.
public enum CSRInspector {
    private static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    private static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    private static let p256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 7]
    private static let p384: ASN1ObjectIdentifier = [1, 3, 132, 0, 34]
    private static let curveNames: [ASN1ObjectIdentifier: String] = [
        [1, 3, 132, 0, 35]: "P-521", [1, 3, 132, 0, 10]: "secp256k1", [1, 2, 840, 10045, 3, 1, 1]: "P-192",
        [1, 3, 132, 0, 33]: "P-224",
    ]
    private static let algorithmNames: [ASN1ObjectIdentifier: String] = [
        [1, 3, 101, 112]: "Ed25519", [1, 3, 101, 113]: "Ed448", [1, 2, 840, 10040, 4, 1]: "DSA",
        [1, 2, 840, 113549, 1, 1, 10]: "RSASSA-PSS",
    ]

    /// Accepts PEM (`CERTIFICATE REQUEST` or the older `NEW CERTIFICATE REQUEST` label) or bare base64 DER.
    public static func inspect(_ text: String) throws(CSRProblem) -> InspectedCSR {
        try inspect(der: try decodeText(text))
    }

    /// A CSR that came as DER (ACME's finalize), checked as a PEM one is.
    public static func inspect(der: [UInt8]) throws(CSRProblem) -> InspectedCSR {
        let key = try describeKey(der: der)
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(derEncoded: der)
        } catch {
            throw .cannotParse("not a PKCS#10 certification request (\(error))")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else { throw .badSignature }
        let pem = PEM.encode(type: "CERTIFICATE REQUEST", der: der)
        return InspectedCSR(request: request, key: key, pem: pem, der: der)
    }

    static func decodeText(_ text: String) throws(CSRProblem) -> [UInt8] {
        var body = Substring(text)
        if let begin = body.range(of: "-----BEGIN ") {
            guard let headerEnd = body[begin.upperBound...].range(of: "-----"),
                let end = body[headerEnd.upperBound...].range(of: "-----END ")
            else { throw .cannotParse("the PEM armour is incomplete") }
            let label = body[begin.upperBound..<headerEnd.lowerBound]
            guard label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST" else {
                throw .cannotParse("the PEM block is a '\(label)', not a CERTIFICATE REQUEST")
            }
            body = body[headerEnd.upperBound..<end.lowerBound]
        }
        let base64 = base64Text(body)
        guard !base64.isEmpty, let data = Data(base64Encoded: base64) else { throw .cannotParse("the body is not base64") }
        return [UInt8](data)
    }

    /// The base64 inside a PEM body: line breaks and other white space left out, and the literal
    /// backslash-n (or -r) of clients that double-escape line breaks inside JSON. Plain ASCII, which
    /// every well-formed CSR is, is read byte by byte; anything else takes the character-level path.
    private static func base64Text(_ body: Substring) -> String {
        let plain = body.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\\") }
        guard plain else {
            let unescaped = String(body).replacingOccurrences(of: "\\n", with: "").replacingOccurrences(of: "\\r", with: "")
            return String(unescaped.filter { !$0.isWhitespace })
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.utf8.count)
        for byte in body.utf8 where !(byte == 0x20 || (0x09...0x0D).contains(byte)) { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads the SubjectPublicKeyInfo directly, so that a weak key is reported as weak
    /// rather than as unparseable (the crypto library refuses small RSA keys outright).
    static func describeKey(der: [UInt8]) throws(CSRProblem) -> KeyDescription {
        do {
            let root = try DER.parse(der)
            guard case .constructed(let outer) = root.content, let info = outer.first(where: { _ in true }),
                case .constructed(let infoNodes) = info.content
            else { throw CSRProblem.cannotParse("no certificationRequestInfo") }
            var fields = infoNodes.makeIterator()
            _ = fields.next()  // version
            _ = fields.next()  // subject
            guard let spki = fields.next(), case .constructed(let spkiNodes) = spki.content else {
                throw CSRProblem.cannotParse("no subjectPublicKeyInfo")
            }
            var spkiFields = spkiNodes.makeIterator()
            guard let algorithm = spkiFields.next(), case .constructed(let algorithmNodes) = algorithm.content,
                let keyNode = spkiFields.next()
            else { throw CSRProblem.cannotParse("malformed subjectPublicKeyInfo") }
            var algorithmFields = algorithmNodes.makeIterator()
            guard let oidNode = algorithmFields.next() else { throw CSRProblem.cannotParse("no key algorithm") }
            let oid = try ASN1ObjectIdentifier(derEncoded: oidNode)
            let keyBits = try ASN1BitString(derEncoded: keyNode)
            switch oid {
            case rsaEncryption:
                return try describeRSA(Array(keyBits.bytes))
            case ecPublicKey:
                guard let parameter = algorithmFields.next(), let curve = try? ASN1ObjectIdentifier(derEncoded: parameter)
                else { throw CSRProblem.unsupportedCurve("explicit or missing curve parameters") }
                switch curve {
                case p256: return KeyDescription(algorithm: .ecdsa, size: 256)
                case p384: return KeyDescription(algorithm: .ecdsa, size: 384)
                default: throw CSRProblem.unsupportedCurve(curveNames[curve] ?? "\(curve)")
                }
            default:
                throw CSRProblem.unsupportedKeyAlgorithm(algorithmNames[oid] ?? "\(oid)")
            }
        } catch let problem as CSRProblem {
            throw problem
        } catch {
            throw .cannotParse("not DER (\(error))")
        }
    }

    private static func describeRSA(_ pkcs1: [UInt8]) throws -> KeyDescription {
        let node = try DER.parse(pkcs1)
        guard case .constructed(let nodes) = node.content else { throw CSRProblem.cannotParse("malformed RSA key") }
        var integers = nodes.makeIterator()
        guard let modulusNode = integers.next(), let exponentNode = integers.next() else {
            throw CSRProblem.cannotParse("malformed RSA key")
        }
        let modulus = try ArraySlice<UInt8>(derEncoded: modulusNode).drop(while: { $0 == 0 })
        let exponent = try ArraySlice<UInt8>(derEncoded: exponentNode).drop(while: { $0 == 0 })
        let bits = modulus.first.map { modulus.count * 8 - $0.leadingZeroBitCount } ?? 0
        guard bits % 8 == 0, (2048...8192).contains(bits) else { throw CSRProblem.rsaKeySize(bits) }
        guard let last = exponent.last, last & 1 == 1, exponent.count > 1 || last >= 3 else {
            throw CSRProblem.rsaExponent
        }
        return KeyDescription(algorithm: .rsa, size: bits)
    }
}

extension InspectedCSR {
    /// The names the request asks for: its subjectAltName entries (DNS names in lower case,
    /// addresses in ``IPAddress``'s text) and its common name; `nil` when its extension request
    /// cannot be read or holds another kind of name.
    public var requestedNames: Set<String>? {
        var names = Set<String>()
        if let commonName = request.subject.commonName { names.insert(commonName.lowercased()) }
        guard let extensions = try? request.attributes.extensionRequest?.extensions else { return names }
        guard let alternatives = try? extensions.subjectAlternativeNames else { return nil }
        for entry in alternatives {
            switch entry {
            case .dnsName(let name): names.insert(name.lowercased())
            case .ipAddress(let octets):
                guard let address = IPAddress(bytes: Array(octets.bytes)) else { return nil }
                names.insert(address.description)
            default: return nil
            }
        }
        return names
    }
}
