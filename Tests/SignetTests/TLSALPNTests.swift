import Crypto
import Foundation
import SignetCore
import SwiftASN1
import Testing
import X509

@testable import SignetValidation

/// tls-alpn-01's certificate rules (RFC 8737 3, RFC 8738 6) without a server; lego answers a real
/// handshake in `ACMEClientTests`.
@Suite("tls-alpn-01")
struct TLSALPNTests {
    static let digest = Array(SHA256.hash(data: Data("token.thumbprint".utf8)))

    /// A self-signed challenge certificate with `names` and, unless `nil`, an acmeIdentifier of `value`.
    static func certificate(
        _ names: [GeneralName], identifier value: [UInt8]? = digest, critical: Bool = true
    ) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName("acme tls alpn challenge") }
        var extensions = Certificate.Extensions()
        if !names.isEmpty { try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: false)) }
        if let value {
            var serializer = DER.Serializer()
            try serializer.serialize(ASN1OctetString(contentBytes: ArraySlice(value)))
            try extensions.append(
                Certificate.Extension(
                    oid: DomainControlChecker.acmeIdentifierExtension, critical: critical,
                    value: ArraySlice(serializer.serializedBytes)))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(),
            notValidAfter: Date().addingTimeInterval(3600), issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func problem(_ der: [UInt8], name: String = "app.example.com") -> String? {
        DomainControlChecker.challengeCertificateProblem(
            der, name: name, address: IPAddress(literal: name), digest: digest)
    }

    @Test("The name alone in subjectAltName and a critical acmeIdentifier holding the digest; anything else fails")
    func certificateRules() throws {
        #expect(Self.problem(try Self.certificate([.dnsName("app.example.com")])) == nil)
        #expect(Self.problem(try Self.certificate([.dnsName("APP.example.com")])) == nil, "DNS names compare without case")
        #expect(
            Self.problem(try Self.certificate([.ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 7]))]), name: "192.0.2.7")
                == nil)
        #expect(
            Self.problem(try Self.certificate([.dnsName("app.example.com"), .dnsName("www.example.com")]))
                == "does not name exactly one identifier in its subjectAltName")
        #expect(Self.problem(try Self.certificate([])) == "does not name exactly one identifier in its subjectAltName")
        #expect(
            Self.problem(try Self.certificate([.dnsName("other.example.com")]))
                == "names another identifier in its subjectAltName")
        #expect(
            Self.problem(try Self.certificate([.dnsName("192.0.2.7")]), name: "192.0.2.7")
                == "names another identifier in its subjectAltName", "an address is named as an iPAddress")
        #expect(
            Self.problem(try Self.certificate([.dnsName("app.example.com")], identifier: nil))
                == "has no acmeIdentifier extension")
        #expect(
            Self.problem(try Self.certificate([.dnsName("app.example.com")], critical: false))
                == "has an acmeIdentifier extension that is not critical")
        #expect(
            Self.problem(try Self.certificate([.dnsName("app.example.com")], identifier: Array(repeating: 0, count: 32)))
                == "has an acmeIdentifier that is not this key authorization's digest")
        #expect(Self.problem([0x30, 0x03, 0x02, 0x01, 0x01]) == "cannot be read")
    }

    @Test("An address's SNI is its reverse-DNS name (RFC 8738 6)")
    func reverseNames() throws {
        #expect(DomainControlChecker.reverseName(try #require(IPAddress(literal: "192.0.2.7"))) == "7.2.0.192.in-addr.arpa")
        #expect(
            DomainControlChecker.reverseName(try #require(IPAddress(literal: "2001:db8::1")))
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
    }
}
