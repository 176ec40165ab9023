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
    /// The issuer domain names that stand for Signet (CAA, dns-persist-01), sorted.
    public var issuerDomains: [String] { identities.sorted() }

    static let knownTags: Set<String> = ["issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail", "issuevmc"]

    public init(resolver: any DNSResolver, identities: [String]) {
        self.resolver = resolver
        self.identities = Set(identities.map { $0.lowercased() })
    }

    /// The verdict for issuing `name`. `accountURI` and `method` are the ACME account that asks and
    /// the challenge type that validated the name (RFC 8657): an `issue` record whose `accounturi` or
    /// `validationmethods` parameter they do not meet authorizes nothing (for an order of another
    /// front end, which has neither, no record with these parameters does).
    public func check(_ name: String, accountURI: String? = nil, method: String? = nil) async -> CAAVerdict {
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
            if !records.isEmpty {
                return evaluate(records, at: domain, wildcard: isWildcard, accountURI: accountURI, method: method)
            }
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

    func evaluate(
        _ records: [CAARecord], at domain: String, wildcard: Bool, accountURI: String? = nil, method: String? = nil
    ) -> CAAVerdict {
        if let unknown = records.first(where: { $0.isCritical && !Self.knownTags.contains($0.tag) }) {
            return .forbidden(domain: domain, reason: "unknown critical property '\(unknown.tag)'")
        }
        let wildcardRecords = records.filter { $0.tag == "issuewild" }
        let applicable = wildcard && !wildcardRecords.isEmpty ? wildcardRecords : records.filter { $0.tag == "issue" }
        if applicable.isEmpty { return .permitted }
        var refusedByParameters = false
        for record in applicable {
            let value = IssuerValue(record.value)
            guard !value.issuer.isEmpty && identities.contains(value.issuer) else { continue }
            let parameters = value.parameters
            if let required = parameters["accounturi"], required != accountURI {
                refusedByParameters = true
                continue
            }
            if let methods = parameters["validationmethods"] {
                let allowed = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let method, allowed.contains(method.lowercased()) else {
                    refusedByParameters = true
                    continue
                }
            }
            return .permitted
        }
        if refusedByParameters {
            return .forbidden(
                domain: domain,
                reason: "its CAA records allow Signet only for another ACME account or validation method (RFC 8657)")
        }
        let tag = applicable[0].tag
        return .forbidden(
            domain: domain, reason: "its CAA \(tag) records do not allow \(identities.sorted().joined(separator: ", "))")
    }
}
