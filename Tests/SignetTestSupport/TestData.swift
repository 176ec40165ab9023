import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
import _CryptoExtras

/// Requests and CSRs as real clients send them.
enum TestData {
    static func organization(name: String = "Example Inc") -> [String: Any] {
        [
            "name": name, "address": "2801 N Thanksgiving Way", "city": "Lehi", "state": "Utah", "zip": "84043",
            "country": "us", "telephone": "8015551212", "registration_number": "5299012",
            "organization_contact": [
                "first_name": "Jan", "last_name": "Sport", "email": "jan.sport@example.com", "job_title": "CTO",
                "telephone": "8015551212",
            ],
        ]
    }

    /// Seed 003's body, with a real CSR and the organization given.
    static func secureSiteOrder(
        csr: String, organizationID: Int, commonName: String = "example.com",
        dnsNames: [String] = ["sub.example.com", "app.example.com"], skipApproval: Bool = true
    ) -> [String: Any] {
        [
            "certificate": [
                "common_name": commonName, "dns_names": dnsNames, "csr": csr, "signature_hash": "sha256",
                "organization_units": ["Shared Services"], "server_platform": ["id": 2],
            ],
            "comments": "Certificate for app server.",
            "auto_renew": 1,
            "custom_renewal_message": "Keep this renewed.",
            "organization": [
                "id": organizationID,
                "contacts": [
                    ["contact_type": "organization_contact", "user_id": 1],
                    [
                        "contact_type": "technical_contact", "first_name": "Jill", "last_name": "Valentine",
                        "job_title": "STAR Member", "telephone": "8017019600", "email": "jill.valentine@digicert.com",
                    ],
                ],
            ],
            "validity_years": 2,
            "payment_method": "balance",
            "skip_approval": skipApproval,
        ]
    }

    /// Seed 001's body.
    static func clientOrder(csr: String, organizationID: Int, skipApproval: Bool = false) -> [String: Any] {
        [
            // Seed 001's fields, and the subscriber's own name: a personal common name needs it (S/MIME BR 7.1.4.2.2).
            "certificate": [
                "common_name": "Lock Cole", "first_name": "Lock", "last_name": "Cole", "emails": ["locke.cole@example.com"],
                "signature_hash": "sha256", "organization_units": ["Accounting"], "csr": csr,
            ],
            "skip_approval": skipApproval,
            "organization": ["id": organizationID],
            "container": ["id": 1],
            "validity_years": 1,
            "payment_method": "balance",
        ]
    }

    /// A DV order for `commonName` with a new key's CSR, approved and paid from the balance.
    static func dvOrder(commonName: String) throws -> [String: Any] {
        [
            "certificate": [
                "common_name": commonName, "csr": try csr(commonName: commonName), "signature_hash": "sha256",
            ],
            "validity_years": 1, "skip_approval": true, "payment_method": "balance",
        ]
    }

    /// A PEM CSR for `commonName` signed by a new key of `kind`.
    static func csr(_ kind: KeyKind = .p256, commonName: String = "example.com") throws -> String {
        let key: Certificate.PrivateKey
        let algorithm: Certificate.SignatureAlgorithm
        switch kind {
        case .p256:
            key = Certificate.PrivateKey(P256.Signing.PrivateKey())
            algorithm = .ecdsaWithSHA256
        case .p384:
            key = Certificate.PrivateKey(P384.Signing.PrivateKey())
            algorithm = .ecdsaWithSHA384
        case .rsa2048:
            key = Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
            algorithm = .sha256WithRSAEncryption
        }
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) }, privateKey: key,
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: algorithm)
        return try request.serializeAsPEM().pemString
    }

    enum KeyKind { case p256, p384, rsa2048 }
}

extension TestData {
    /// A CSR whose RSA "key" has `bits` bits and whose signature is random: enough to test the
    /// key-size rule, which is checked before the signature (real keys that size take minutes to make).
    static func fakeRSACSR(bits: Int) throws -> String {
        var modulus = [UInt8](repeating: 0xC5, count: bits / 8)
        modulus[0] = 0xFF
        var key = DER.Serializer()
        try key.appendConstructedNode(identifier: .sequence) { sequence in
            try sequence.serialize(ArraySlice([UInt8(0)] + modulus))
            try sequence.serialize(ArraySlice<UInt8>([0x01, 0x00, 0x01]))
        }
        var csr = DER.Serializer()
        try csr.appendConstructedNode(identifier: .sequence) { request in
            try request.appendConstructedNode(identifier: .sequence) { info in
                try info.serialize(0)
                try info.serialize(try DistinguishedName { CommonName("example.com") })
                try info.appendConstructedNode(identifier: .sequence) { spki in
                    try spki.appendConstructedNode(identifier: .sequence) { algorithm in
                        try algorithm.serialize(ASN1ObjectIdentifier("1.2.840.113549.1.1.1"))
                        try algorithm.serialize(ASN1Null())
                    }
                    try spki.serialize(ASN1BitString(bytes: ArraySlice(key.serializedBytes)))
                }
                info.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { _ in }
            }
            try request.appendConstructedNode(identifier: .sequence) { algorithm in
                try algorithm.serialize(ASN1ObjectIdentifier("1.2.840.113549.1.1.11"))
                try algorithm.serialize(ASN1Null())
            }
            try request.serialize(ASN1BitString(bytes: ArraySlice(repeating: 0x42, count: 256)))
        }
        return PEMDocument(type: "CERTIFICATE REQUEST", derBytes: csr.serializedBytes).pemString
    }

    /// A valid CSR with one byte of its subject changed, so that its signature no longer verifies.
    static func tamperedCSR() throws -> String {
        let pem = try csr(.p256, commonName: "example.com")
        var der = try PEMDocument(pemString: pem).derBytes
        let name = Array("example.com".utf8)
        let index = try #require(der.indices.first { der[$0..<min($0 + name.count, der.count)].elementsEqual(name) })
        der[index] = UInt8(ascii: "f")
        return PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
    }
}
