import Foundation
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP

/// `SortedJSONEncoder` writes CertCentral's answers; byte for byte what `CertCentralFormat.encoder`
/// (Foundation's `JSONEncoder`) wrote before it.
@Suite("Sorted JSON encoder")
struct SortedJSONEncoderTests {
    struct Inner: Encodable {
        let commonName: String
        let dnsNames: [String]
        let validTill: String?
        let serverPlatform: Platform?
        let caCert: [String: String]?
    }

    struct Platform: Encodable {
        let id: Int
        let name: String
    }

    struct Empty: Encodable {}

    enum Kind: String, Encodable { case sslBasic = "ssl_basic", other }

    struct Outer: Encodable {
        let id: Int
        let certificate: Inner
        let price: Double
        let ratio: Float
        let small: UInt8
        let big: Int64
        let isRenewal: Bool
        let renewedOrderId: Int?
        let requests: [Inner]
        let caaStatusMessage: [String: String]
        let matrix: [[Int]]
        let kind: Kind
        let empty: Empty
        let nothing: String?
        let sha256Fingerprint: String
        let dcvJSONText: String
    }

    @Test("Nested values, optionals, dictionaries, numbers and awkward strings: the same bytes as JSONEncoder")
    func matchesJSONEncoder() throws {
        let awkward = "q\"b\\s/\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F} Ünï 😀"
        let inner = Inner(
            commonName: awkward, dnsNames: ["a.example.com", awkward], validTill: nil,
            serverPlatform: Platform(id: -1, name: "OTHER"), caCert: ["id": "F6833C", "name": "Signet TLS"])
        for (price, count) in [(2.18, 3), (995.0, 0), (0.1, Int.max), (1e20, Int.min), (-0.0, 7)] {
            let value = Outer(
                id: count, certificate: inner, price: price, ratio: 0.5, small: 255, big: Int64.min, isRenewal: price > 1,
                renewedOrderId: price > 1 ? 12 : nil,
                requests: [
                    inner, Inner(commonName: "", dnsNames: [], validTill: "2026-12-07", serverPlatform: nil, caCert: nil),
                ],
                caaStatusMessage: ["Mixed.Example.com": "caa_check_failed|x", "camelKey": "b", "www.example.com": "permitted"],
                matrix: [[1, 2], [], [3]], kind: .sslBasic, empty: Empty(), nothing: nil, sha256Fingerprint: "ab",
                dcvJSONText: "{}")
            let expected = try CertCentralFormat.encoder.encode(value)
            let written = try SortedJSONEncoder.encode(value)
            #expect(
                String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "price \(price)")
        }
        for value in [[1, 2, 3]] {
            #expect(try SortedJSONEncoder.encode(value) == Array(try CertCentralFormat.encoder.encode(value)))
        }
        #expect(try SortedJSONEncoder.encode(Empty()) == Array(try CertCentralFormat.encoder.encode(Empty())))
    }
}
