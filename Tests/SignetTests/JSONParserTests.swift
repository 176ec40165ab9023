import Foundation
import Testing

@testable import SignetHTTP
@testable import SignetTestSupport

/// `JSONValue.parse` reads every request body of every dialect; it must accept and refuse exactly
/// what Foundation's `JSONDecoder` does, whose behaviour the dialects were built and fuzzed on.
@Suite("JSON parser")
struct JSONParserTests {
    /// What `JSONDecoder` makes of `bytes`: the reference.
    static func reference(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static let documents: [String] = [
        #"{"certificate":{"common_name":"example.com","dns_names":["a.example.com"],"csr":"-----BEGIN\nX"},"validity_years":1}"#,
        #"{"a":1,"a":2}"#, #"[1, -0, 0.5, -12.5e3, 1E+2, 1e-2, 9007199254740993, 123456789012345678901234567890]"#,
        #"{"s":"q\"b\\s\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00 Ünï"}"#, #"  true "#, "false", "null", #""text""#,
        "[]", "{}", "[[[]]]", #"{"nested":{"deeper":[{"x":null}]}}"#, "0", "-0.0", "1e308",
        // JSONDecoder's leniency: one trailing comma
        "[1,]", "{\"a\":1,}",
        // refused by both
        "[1,,]", "[,]", "{,}", "{\"a\":1,,}", "", " ", "01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "NaN", "Infinity",
        "1e400",
        "-1e400", "tru", "nul", "[1 2]", "{\"a\" 1}", "{\"a\"}", "{a:1}", "'a'", "\"a", "\"\\x\"", "\"\\u12\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\tb\"", "\"a\u{1}b\"", "[1]x", "{} {}", "[", "]", "{",
        "\"\\u0000\"",
    ]

    @Test("Accepts and refuses what JSONDecoder does, with the same values")
    func matchesTheDecoder() {
        for document in Self.documents {
            let bytes = Array(document.utf8)
            #expect(JSONValue.parse(bytes) == Self.reference(bytes), "\(document)")
        }
        let invalidUTF8: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0xEF, 0xBB, 0xBF, 0x31],
        ]
        for bytes in invalidUTF8 {
            #expect(JSONValue.parse(bytes) == Self.reference(bytes), "\(bytes)")
        }
    }

    @Test("Nesting past the bound is refused, not a crash")
    func boundsNesting() {
        let shallow = Array(repeating: UInt8(ascii: "["), count: 100) + Array(repeating: UInt8(ascii: "]"), count: 100)
        #expect(JSONValue.parse(shallow) != nil)
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(JSONValue.parse(deep) == nil)
        let open = Array(repeating: UInt8(ascii: "{"), count: 100_000)
        #expect(JSONValue.parse(open) == nil)
    }

    @Test("Random mutations of valid documents: the same verdict and value as JSONDecoder")
    func fuzz() {
        var generator = SplitMix(seed: 0x5157_4E45_5421)
        let alphabet = Array(#"{}[]",:\ 0123456789.eE+-tfnrul"u\/"#.utf8) + [0x00, 0x0A, 0x7F, 0xC3, 0xA9, 0xFF, 0xED]
        let seeds = Self.documents.prefix(15).map { Array($0.utf8) }
        var differences: [String] = []
        for round in 0..<4000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
                let byte = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                switch generator.next() % 3 {
                case 0: bytes.insert(byte, at: position)
                case 1 where !bytes.isEmpty: bytes.remove(at: position)
                default: if !bytes.isEmpty { bytes[position] = byte }
                }
            }
            if JSONValue.parse(bytes) != Self.reference(bytes) { differences.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(differences.isEmpty, "\(differences.prefix(5))")
    }
}
