import Foundation
import SignetHTTP
import Testing

/// The five API pages Signet was created from (`../shared/seeds`), read the way a developer reads
/// them: every request example (curl, Python, Go and Node) and every documented response. The
/// seed-contract tests send the requests as printed and hold the answers to the documented shapes,
/// so that a change which breaks a page fails the suite.
struct SeedPage: Sendable {
    /// One example request: the method, the path under the API's base and the JSON body, if any.
    struct Request: Sendable, Hashable, Codable {
        let method: String
        let path: String
        let body: String?

        /// The body parsed, as a mutable JSONSerialization value.
        func bodyObject() throws -> [String: Any] {
            guard let body else { return [:] }
            return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        }
    }

    let number: String
    /// The distinct requests of the page's examples (the four languages of one example usually agree).
    let requests: [Request]
    /// The JSON documents the page shows that are not request bodies: its response examples.
    let responses: [JSONValue]
    /// The product name_ids the page names (seed 001 defines four client certificate products).
    let products: [String]

    /// The folder of the seed pages: `SIGNET_SEEDS`, or `../shared/seeds` beside the repository.
    static var folder: URL {
        if let path = ProcessInfo.processInfo.environment["SIGNET_SEEDS"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/seeds")
    }

    /// Whether the pages themselves are at hand (a checkout beside `../shared`); CI's clone may have
    /// only the contract fixture.
    static var pagesPresent: Bool { FileManager.default.fileExists(atPath: folder.path) }

    /// The contract fixture: the requests, responses and products read from the pages, committed so
    /// that the contract holds on a machine without them (`SeedFixtureTests` keeps it in step).
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SignetTests/Fixtures/seed-contract.json")

    /// The page whose file name starts with `number` (`"001"`), read from the page when it is at hand,
    /// else from the contract fixture.
    static func load(_ number: String) throws -> SeedPage {
        guard pagesPresent else {
            let pages = try JSONDecoder().decode([Stored].self, from: Data(contentsOf: fixture))
            let stored = try #require(pages.first { $0.number == number }, "no seed \(number) in \(fixture.path)")
            return try SeedPage(stored)
        }
        return try read(number)
    }

    /// The page whose file name starts with `number`, parsed from the page itself.
    static func read(_ number: String) throws -> SeedPage {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        let name = try #require(names.sorted().first { $0.hasPrefix(number + "_") }, "no seed \(number) in \(folder.path)")
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        return SeedPage(number: number, text: text)
    }

    /// A page as the fixture keeps it: its facts, each response as canonical JSON text.
    struct Stored: Codable, Equatable {
        let number: String
        let requests: [Request]
        let responses: [String]
        let products: [String]
    }

    var stored: Stored {
        Stored(
            number: number, requests: requests,
            responses: responses.map { String(decoding: $0.canonicalBytes, as: UTF8.self) }, products: products)
    }

    init(_ stored: Stored) throws {
        number = stored.number
        requests = stored.requests
        responses = try stored.responses.map { try #require(JSONValue.parse(Array($0.utf8)), "\($0)") }
        products = stored.products
    }

    init(number: String, text: String) {
        self.number = number
        var products: [String] = []
        for match in Self.captures(#"\b(client_[a-z0-9_]+)\b"#, in: text) where !products.contains(match[0]) {
            products.append(match[0])
        }
        self.products = products
        var requests: [Request] = []
        for request in Self.curlRequests(text) + Self.pythonRequests(text) + Self.goRequests(text) + Self.nodeRequests(text)
        where !requests.contains(request) {
            requests.append(request)
        }
        // curl's bodies are printed unindented: their inner objects must not pass for responses.
        let prose = text.replacingOccurrences(of: #"(?s)-d '\{.*?\}'"#, with: "", options: .regularExpression)
        var blocks = Self.lineStartObjects(prose)
        if requests.isEmpty && !blocks.isEmpty {
            // Seed 004 prints its request as a bare JSON document (path and method in its prose).
            requests.append(Request(method: "POST", path: "", body: blocks.removeFirst()))
        }
        let bodies = Set(requests.compactMap { $0.body.flatMap(Self.canonical) })
        var responses: [JSONValue] = []
        for block in blocks {
            guard let value = JSONValue.parse(Array(block.utf8)) else { continue }
            if let canonical = Self.canonical(block), bodies.contains(canonical) { continue }
            responses.append(value)
        }
        self.requests = requests
        self.responses = responses
    }

    /// The JSON documents that start a line with `{`, comments (`// …` outside strings) removed.
    /// Seed 004 prints its request this way too; the caller tells it from the responses.
    static func lineStartObjects(_ text: String) -> [String] {
        var blocks: [String] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let atLineStart = index == 0 || characters[index - 1] == "\n"
            if atLineStart, characters[index] == "{", let end = closingBrace(characters, from: index) {
                blocks.append(withoutComments(String(characters[index...end])))
                index = end + 1
            } else {
                index += 1
            }
        }
        return blocks
    }

    /// Where a scan of JSON text stands with respect to strings: inside one, and after a backslash.
    struct StringState {
        private(set) var inString = false
        private var escaped = false

        /// Takes the next character; whether it is part of a string (its quotes included).
        mutating func take(_ character: Character) -> Bool {
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
                return true
            }
            if character == "\"" { inString = true }
            return inString
        }
    }

    /// The index of the brace that closes the one at `start`, skipping strings.
    private static func closingBrace(_ characters: [Character], from start: Int) -> Int? {
        var depth = 0
        var strings = StringState()
        for index in start..<characters.count where !strings.take(characters[index]) {
            switch characters[index] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    /// `text` without `// …` comments outside JSON strings (seed 004 annotates its fields that way).
    static func withoutComments(_ text: String) -> String {
        var output = ""
        var strings = StringState()
        var skipping = false
        var previous: Character?
        for character in text {
            if skipping {
                if character == "\n" {
                    skipping = false
                    output.append(character)
                }
                continue
            }
            if !strings.take(character) && character == "/" && previous == "/" {
                output.removeLast()
                skipping = true
            } else {
                output.append(character)
            }
            previous = skipping ? nil : character
        }
        return output
    }

    /// A body in one spelling (sorted keys, no spaces), to tell request bodies from responses.
    static func canonical(_ body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The path after the API's base (`/services/v2/`), placeholders kept.
    private static func path(of url: String) -> String {
        guard let range = url.range(of: "/services/v2/") else { return url }
        return String(url[range.upperBound...])
    }

    static func captures(_ pattern: String, in text: String) -> [[String]] {
        guard let expression = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else {
            return []
        }
        let whole = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: whole).map { match in
            (1..<match.numberOfRanges).map { group in
                Range(match.range(at: group), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }

    /// `curl -X METHOD URL … [-d '{…}']`, each up to the next example.
    static func curlRequests(_ text: String) -> [Request] {
        captures(#"curl -X (\w+) \\?\s*'?(https://[^'\s\\]+)'?(.*?)(?=\n(?:import requests|Python|package main))"#, in: text)
            .map { groups in
                let body = captures(#"-d '(\{.*\})'"#, in: groups[2]).first?.first
                return Request(method: groups[0], path: path(of: groups[1]), body: body)
            }
    }

    /// A string literal of Python or Go (`\n`, `\"` escapes: JSON's own), decoded.
    private static func literal(_ quoted: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data("\"\(quoted)\"".utf8), options: [.fragmentsAllowed])) as? String
    }

    /// Python's `url = "…"`, `payload = "…"` and `requests.request("METHOD", …)`.
    static func pythonRequests(_ text: String) -> [Request] {
        captures(#"url = "([^"]+)"\s*\npayload = "((?:[^"\\]|\\.)*)".*?requests\.request\("(\w+)""#, in: text).map { groups in
            Request(method: groups[2], path: path(of: groups[0]), body: groups[1].isEmpty ? nil : literal(groups[1]))
        }
    }

    /// Go's `url := "…"`, an optional `strings.NewReader("…")` and `http.NewRequest("METHOD", …)`.
    static func goRequests(_ text: String) -> [Request] {
        captures(
            #"url := "([^"]+)"\s*\n(?:\s*payload := strings\.NewReader\("((?:[^"\\]|\\.)*)"\)\s*\n)?.*?http\.NewRequest\("(\w+)""#,
            in: text
        ).map { groups in
            Request(method: groups[2], path: path(of: groups[0]), body: groups[1].isEmpty ? nil : literal(groups[1]))
        }
    }

    /// Node's `request` options: `method: '…'`, `url: '…'` and an optional `body:` object literal.
    static func nodeRequests(_ text: String) -> [Request] {
        captures(#"method: '(\w+)',\s*url: '([^']+)',(.*?)request\(options"#, in: text).map { groups in
            var body: String?
            if let start = groups[2].range(of: "body:") {
                let characters = Array(groups[2][start.upperBound...])
                if let open = characters.firstIndex(of: "{"), let close = closingBrace(characters, from: open) {
                    body = javaScriptObjectAsJSON(String(characters[open...close]))
                }
            }
            return Request(method: groups[0], path: path(of: groups[1]), body: body)
        }
    }

    /// A JavaScript object literal as JSON: bare keys quoted, single-quoted strings double-quoted.
    static func javaScriptObjectAsJSON(_ literal: String) -> String {
        var output = ""
        var characters = Array(literal)[...]
        while let character = characters.popFirst() {
            if character == "'" {
                var value = ""
                while let next = characters.popFirst(), next != "'" {
                    if next == "\\", let escaped = characters.popFirst() { value.append(escaped) } else { value.append(next) }
                }
                output += FuzzDocument.string(value).text
            } else if character.isLetter || character == "_" {
                var word = String(character)
                while let next = characters.first, next.isLetter || next.isNumber || next == "_" {
                    word.append(next)
                    characters.removeFirst()
                }
                let rest = characters.drop { $0 == " " }
                output += rest.first == ":" && !["true", "false", "null"].contains(word) ? "\"\(word)\"" : word
            } else {
                output.append(character)
            }
        }
        return output
    }
}

/// How an answer is held to a documented example: every field the example shows is there with the
/// example's type; objects keyed by names (seed 004's `dcv`) are compared where both have the name;
/// each element of an array matches the example element with its `status`, else the first one.
enum DocumentedShape {
    /// Why `actual` does not have `documented`'s shape, or `nil` when it has.
    static func mismatch(_ actual: JSONValue, _ documented: JSONValue, at path: String = "$") -> String? {
        switch (documented, actual) {
        case (.null, _): return nil
        case (.bool, .bool), (.number, .number), (.string, .string): return nil
        case (.object(let expected), .object(let fields)):
            for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
                guard let field = fields[key] else {
                    if key.contains(".") { continue }
                    return "\(path).\(key) is missing"
                }
                if let reason = mismatch(field, value, at: "\(path).\(key)") { return reason }
            }
            return nil
        case (.array(let expected), .array(let items)):
            guard let first = expected.first else { return nil }
            for (index, item) in items.enumerated() {
                let status = item.field("status")
                let example = expected.first { status != nil && $0.field("status") == status } ?? first
                if let reason = mismatch(item, example, at: "\(path)[\(index)]") { return reason }
            }
            return nil
        default:
            return "\(path) is \(actual.kind), the page shows \(documented.kind)"
        }
    }

    /// `nil` when `actual` has the shape of one of `examples`; else every example's reason.
    static func mismatch(_ actual: JSONValue, anyOf examples: [JSONValue]) -> String? {
        var reasons: [String] = []
        for example in examples {
            guard let reason = mismatch(actual, example) else { return nil }
            reasons.append(reason)
        }
        return reasons.isEmpty ? "the page shows no response" : reasons.joined(separator: "; ")
    }
}

extension JSONValue {
    fileprivate func field(_ key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    fileprivate var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
