import Foundation

/// A key named by an RFC 7512 PKCS#11 URI, e.g.
/// `pkcs11:token=signet;object=issuing-tls-e1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/signet/pin`.
/// Only what Signet needs: the token's label, the key's label and/or id, the module to load and
/// where its PIN is. The PIN itself is read from `pin-source` (a file, 0600) when the key is opened,
/// never kept in the URI Signet logs or shows; `pin-value` is accepted for tests and refused in logs.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    public var token: String?
    public var object: String?
    public var id: [UInt8]?
    public var modulePath: String
    public var pinSource: String?
    var pinValue: String?

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case notPKCS11(String)
        case missing(String)
        case badEncoding(String)

        public var description: String {
            switch self {
            case .notPKCS11(let text): return "'\(text.prefix(40))' is not a pkcs11: URI (RFC 7512)"
            case .missing(let attribute): return "the pkcs11: URI names no \(attribute)"
            case .badEncoding(let part): return "the pkcs11: URI has a malformed percent-encoding in '\(part)'"
            }
        }
    }

    public init(_ text: String) throws(Problem) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.lowercased().hasPrefix("pkcs11:") else { throw .notPKCS11(trimmed) }
        let body = trimmed.dropFirst("pkcs11:".count)
        let parts = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var path: [String: String] = [:]
        var query: [String: String] = [:]
        for attribute in parts.first.map({ $0.split(separator: ";") }) ?? [] {
            let pair = attribute.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            guard let value = String(pair[1]).removingPercentEncoding else { throw .badEncoding(String(attribute)) }
            path[String(pair[0])] = value
        }
        if parts.count == 2 {
            for attribute in parts[1].split(separator: "&") {
                let pair = attribute.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                guard let value = String(pair[1]).removingPercentEncoding else { throw .badEncoding(String(attribute)) }
                query[String(pair[0])] = value
            }
        }
        guard let module = query["module-path"], !module.isEmpty else { throw .missing("module-path") }
        token = path["token"]
        object = path["object"]
        if let raw = parts.first.flatMap({ $0.split(separator: ";").first { $0.hasPrefix("id=") } }) {
            id = try Self.bytes(percentEncoded: String(raw.dropFirst(3)))
        }
        guard object != nil || id != nil else { throw .missing("object or id") }
        modulePath = module
        pinSource = query["pin-source"]
        pinValue = query["pin-value"]
    }

    /// The URI without its PIN, as logs and errors show it.
    public var description: String {
        var path: [String] = []
        if let token { path.append("token=\(token)") }
        if let object { path.append("object=\(object)") }
        if let id { path.append("id=" + id.map { String(format: "%%%02x", $0) }.joined()) }
        var query = ["module-path=\(modulePath)"]
        if let pinSource { query.append("pin-source=\(pinSource)") }
        return "pkcs11:" + path.joined(separator: ";") + "?" + query.joined(separator: "&")
    }

    /// What a CA key file holds for this key: the URI without a `pin-value` (a stored key reads its
    /// PIN from `pin-source`).
    public var fileText: String { description + "\n" }

    /// The PIN: the file `pin-source` names (`file:` URI or path), else `pin-value`; `nil` for none.
    func pin() throws -> String? {
        if let pinSource {
            let path = pinSource.hasPrefix("file:") ? String(pinSource.dropFirst(5)) : pinSource
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw PKCS11Error.pinUnreadable(path: path)
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return pinValue
    }

    private static func bytes(percentEncoded text: String) throws(Problem) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "%" {
                let end = text.index(index, offsetBy: 3, limitedBy: text.endIndex) ?? text.endIndex
                guard text.distance(from: index, to: end) == 3, let byte = UInt8(text[text.index(after: index)..<end], radix: 16)
                else { throw .badEncoding(text) }
                bytes.append(byte)
                index = end
            } else {
                bytes.append(contentsOf: Array(String(text[index]).utf8))
                index = text.index(after: index)
            }
        }
        return bytes
    }
}
