import Foundation
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// `JSONWriter` writes what `CertCentralFormat.encoder` would: the list relies on it.
@Suite("JSON writer")
struct JSONWriterTests {
    struct Sample: Encodable {
        let aName: String
        let count: Int?
        let flag: Bool
        let items: [String]
        let price: Double
        let zeroPrice: Double
    }

    @Test("Strings with quotes, backslashes, control characters, slashes and non-ASCII text; numbers; absent values")
    func matchesTheEncoder() throws {
        let awkward = "q\"b\\s/\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F} Ünï 😀"
        for (count, price) in [(Int?.some(-3), 2.18), (nil, 995.0), (Int.max, 0.1)] {
            let sample = Sample(aName: awkward, count: count, flag: true, items: [awkward, "", "x"], price: price, zeroPrice: 0)
            var json = JSONWriter()
            json.object { json in
                json.field("a_name", sample.aName)
                json.field("count", sample.count)
                json.field("flag", sample.flag)
                json.key("items")
                json.array(sample.items) { $0.string($1) }
                json.key("price")
                json.number(sample.price)
                json.key("zero_price")
                json.number(sample.zeroPrice)
            }
            let expected = try CertCentralFormat.encoder.encode(sample)
            #expect(String(decoding: json.bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
            #expect(parsed["a_name"] as? String == awkward)
        }
    }

    @Test("The access line's duration is milliseconds with two decimals, rounded as printf rounds them")
    func accessLineDuration() {
        let cases: [(Int64, String)] = [
            (0, "0.00"), (4_999, "0.00"), (5_000, "0.01"), (1_234_567, "1.23"), (99_995_000, "100.00"),
            (12_340_000_000, "12340.00"), (-1, "0.00"),
        ]
        for (nanoseconds, text) in cases { #expect(RequestLog.milliseconds(nanoseconds) == text, "\(nanoseconds)") }
    }

    @Test("A dictionary document (ACME's answers) reads back as the same document, keys sorted, numbers as JSON writes them")
    func writesDictionaries() throws {
        let awkward = "q\"b\\s/\u{0}\u{1F} Ünï 😀"
        let problem = try #require(JSONValue.parse(Array(#"{"type":"urn:x","status":400,"detail":"a/b"}"#.utf8)))
        let document: [String: Any] = [
            "status": "valid", "count": 3, "wildcard": true, "ratio": 0.25, "names": [awkward, ""],
            "challenges": [["type": "http-01", "token": awkward] as [String: Any]], "error": problem, "empty": [String: Any](),
        ]
        var writer = JSONWriter()
        writer.value(document)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"challenges":[{"token":"#))
        #expect(text.contains(#""error":{"detail":"a/b","status":400,"type":"urn:x"}"#))
        let parsed = try #require(JSONValue.parse(writer.bytes))
        let expected = try #require(
            JSONValue.parse(
                Array(
                    try JSONSerialization.data(
                        withJSONObject: document.merging(["error": ["detail": "a/b", "status": 400, "type": "urn:x"]]) { $1 }))))
        #expect(parsed == expected)
    }
}
