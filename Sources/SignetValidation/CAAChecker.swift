import Foundation

/// What the CAA records of a name say about issuing for it.
public enum CAAVerdict: Sendable, Equatable {
    case permitted
    /// The relevant record set (found at `domain`) does not name Signet's identity.
    case forbidden(domain: String, reason: String)
    /// The records could not be read (SERVFAIL, timeout): issuance must wait.
    case lookupFailed(domain: String, reason: String)
}

/// CAA checking as RFC 8659 defines it: the relevant record set is the first non-empty CAA set
/// found climbing from the name towards the top-level domain, aliases followed; wildcards obey
/// `issuewild` when present, `issue` otherwise; an unknown critical property forbids issuance.
public struct CAAChecker: Sendable {
    let resolver: any DNSResolver
    /// Issuer domain names that stand for Signet in `issue` values, lower case.
    let identities: Set<String>
    static let knownTags: Set<String> = ["issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail", "issuevmc"]

    public init(resolver: any DNSResolver, identities: [String]) {
        self.resolver = resolver
        self.identities = Set(identities.map { $0.lowercased() })
    }

    public func check(_ name: String) async -> CAAVerdict {
        let isWildcard = name.hasPrefix("*.")
        var labels = (isWildcard ? String(name.dropFirst(2)) : name).lowercased().split(separator: ".").map(String.init)
        while !labels.isEmpty {
            let domain = labels.joined(separator: ".")
            let records: [CAARecord]
            do {
                records = try await recordSet(at: domain)
            } catch {
                return .lookupFailed(domain: domain, reason: "\(error)")
            }
            if !records.isEmpty { return evaluate(records, at: domain, wildcard: isWildcard) }
            labels.removeFirst()
        }
        return .permitted
    }

    /// The CAA records at `domain`, following an alias chain the resolver did not follow (at most 8 links).
    func recordSet(at domain: String) async throws -> [CAARecord] {
        var name = domain
        for _ in 0..<8 {
            let response = try await resolver.query(name, type: .caa)
            switch response.responseCode {
            case DNSResponse.noError:
                let records = response.answers.compactMap { record -> CAARecord? in
                    if case .caa(let caa) = record.data { return caa }
                    return nil
                }
                if !records.isEmpty { return records }
                guard let alias = response.answers.last(where: { $0.type == DNSRecordType.cname.rawValue }),
                    case .cname(let target) = alias.data, target != name
                else { return [] }
                name = target
            case DNSResponse.nameError:
                return []
            default:
                throw DNSError.unreachable("CAA lookup for \(name) answered with response code \(response.responseCode)")
            }
        }
        throw DNSError.malformedResponse("alias chain at \(domain) is too long")
    }

    func evaluate(_ records: [CAARecord], at domain: String, wildcard: Bool) -> CAAVerdict {
        if let unknown = records.first(where: { $0.isCritical && !Self.knownTags.contains($0.tag) }) {
            return .forbidden(domain: domain, reason: "unknown critical property '\(unknown.tag)'")
        }
        let wildcardRecords = records.filter { $0.tag == "issuewild" }
        let applicable = wildcard && !wildcardRecords.isEmpty ? wildcardRecords : records.filter { $0.tag == "issue" }
        if applicable.isEmpty { return .permitted }
        for record in applicable {
            let issuer =
                record.value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if !issuer.isEmpty && identities.contains(issuer) { return .permitted }
        }
        let tag = applicable[0].tag
        return .forbidden(
            domain: domain, reason: "its CAA \(tag) records do not allow \(identities.sorted().joined(separator: ", "))")
    }
}
