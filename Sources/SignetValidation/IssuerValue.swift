import Foundation

/// An issuer domain name with its parameters, `issuer; key=value; key=value`: the value of a CAA
/// `issue` property (RFC 8659 4.2) and of a dns-persist-01 TXT record, which borrows its grammar.
struct IssuerValue: Sendable, Equatable {
    /// The issuer domain name, lower case; empty when the value names none (`;` forbids every CA).
    let issuer: String
    /// The parameters by lower-case key; values as written.
    let parameters: [String: String]

    init(_ text: String) {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        issuer = parts.first?.lowercased() ?? ""
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 { parameters[pair[0].lowercased()] = pair[1] }
        }
        self.parameters = parameters
    }
}
