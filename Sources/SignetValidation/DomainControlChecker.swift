import Crypto
import Foundation
import SignetCore

/// What went wrong in a check, in terms a customer can act on.
public struct DCVFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case recordMissing
        case tokenMismatch
        case nameNotFound
        case lookupFailed
        case fileNotFound
        case redirect
        case unreachable
        /// A TLS handshake failed, or did not negotiate what the check needs (tls-alpn-01).
        case tls
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}

/// The result of one check: the domain whose control was shown, or why not.
public enum DCVOutcome: Sendable, Equatable {
    case passed(domain: String)
    case failed(DCVFailure)
}

/// Runs the checks behind each method against the real network (through the resolver and
/// fetcher seams). Every check is bounded in time by the resolver's and fetcher's limits.
public struct DomainControlChecker: Sendable {
    public let resolver: any DNSResolver
    public let web: WebFetcher
    /// The operator's zone for `dns-cname-token` (DigiCert uses `dcv.digicert.com`).
    public let cnameZone: String

    public init(resolver: any DNSResolver, web: WebFetcher, cnameZone: String) {
        self.resolver = resolver
        self.web = web
        self.cnameZone = cnameZone.lowercased()
    }

    /// Checks that `name` (a wildcard counts as its base) shows one of `tokens` by `method`.
    ///
    /// - Parameter targets: the naming policy of the name's container, for the addresses an HTTP
    ///   check may reach. An IP address is checked by HTTP only (BR 3.2.2.5), at the address itself.
    public func check(_ method: DCVMethod, name: String, tokens: [String], targets: NamePolicy = .public) async -> DCVOutcome {
        let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        if CertificateNames.isIPAddress(bare) && method != .httpToken && method != .email {
            return .failed(DCVFailure(.recordMissing, "\(bare): an IP address is validated by http-token"))
        }
        switch method {
        case .dnsTXTToken: return await dnsTXT(bare, tokens: tokens)
        case .dnsCNAMEToken: return await dnsCNAME(bare, tokens: tokens)
        case .httpToken: return await http(bare, tokens: tokens, targets: targets)
        case .email: return .failed(DCVFailure(.recordMissing, "\(name): waiting for the approver to follow the e-mailed link"))
        case .http01, .dns01, .tlsALPN01, .dnsAccount01, .dnsPersist01:
            return .failed(DCVFailure(.recordMissing, "\(name): waiting for the ACME client to answer its challenge"))
        }
    }

    /// The name and its parents down to its registrable domain: the authorization domain names of a DNS check.
    static func authorizationDomains(_ name: String) -> [String] {
        PublicSuffixList.shared.authorizationDomains(of: name)
    }

    /// A TXT record containing the token at the name, at `_dnsauth.<name>`, or at a parent of either.
    func dnsTXT(_ name: String, tokens: [String]) async -> DCVOutcome {
        var failures: [DCVFailure] = []
        for domain in Self.authorizationDomains(name) {
            for owner in [domain, "_dnsauth." + domain] {
                switch await lookup(owner, .txt) {
                case .success(let response):
                    let texts = response.records(.txt).flatMap { record -> [String] in
                        if case .txt(let strings) = record.data { return [strings.joined()] + strings }
                        return []
                    }
                    if texts.contains(where: { text in tokens.contains { text.contains($0) } }) { return .passed(domain: domain) }
                    failures.append(
                        texts.isEmpty
                            ? DCVFailure(.recordMissing, "no TXT record at \(owner)")
                            : DCVFailure(.tokenMismatch, "the TXT records at \(owner) do not contain the random value"))
                case .failure(let failure):
                    failures.append(failure)
                }
            }
        }
        return .failed(Self.mostTelling(failures, name: name))
    }

    /// `_dnsauth.<name>` (or a parent) as a CNAME to `<token>.<zone>`.
    func dnsCNAME(_ name: String, tokens: [String]) async -> DCVOutcome {
        let targets = Set(tokens.map { "\($0.lowercased()).\(cnameZone)" })
        var failures: [DCVFailure] = []
        for domain in Self.authorizationDomains(name) {
            let owner = "_dnsauth." + domain
            switch await lookup(owner, .cname) {
            case .success(let response):
                let aliases = response.answers.compactMap { record -> String? in
                    if case .cname(let target) = record.data, record.name == owner { return target }
                    return nil
                }
                if aliases.contains(where: targets.contains) { return .passed(domain: domain) }
                failures.append(
                    aliases.isEmpty
                        ? DCVFailure(.recordMissing, "no CNAME record at \(owner)")
                        : DCVFailure(.tokenMismatch, "\(owner) points at \(aliases[0]), not at <random value>.\(cnameZone)"))
            case .failure(let failure):
                failures.append(failure)
            }
        }
        return .failed(Self.mostTelling(failures, name: name))
    }

    /// `/.well-known/pki-validation/fileauth.txt` on the exact name over HTTP, then HTTPS.
    func http(_ name: String, tokens: [String], targets: NamePolicy = .public) async -> DCVOutcome {
        await file(name, path: "/.well-known/pki-validation/fileauth.txt", followRedirects: true, targets: targets) { body in
            tokens.contains { body.contains($0) }
        }
    }

    /// ACME http-01 (RFC 8555 8.3): `http://<name>/.well-known/acme-challenge/<token>` serves the
    /// key authorization (trailing white space aside), over HTTP on `--dcv-http-port`; redirects
    /// within the name are followed.
    public func http01(name: String, token: String, keyAuthorization: String, targets: NamePolicy = .public) async -> DCVOutcome {
        await file(
            name, path: "/.well-known/acme-challenge/\(token)", followRedirects: true, schemes: [false], targets: targets
        ) { body in
            body.trimmingCharacters(in: .whitespacesAndNewlines) == keyAuthorization
        }
    }

    /// ACME dns-01 (RFC 8555 8.4): a TXT record at `_acme-challenge.<name>` (a wildcard's base)
    /// holds the base64url SHA-256 digest of the key authorization.
    public func dns01(name: String, digest: String) async -> DCVOutcome {
        let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        return await txt(at: "_acme-challenge." + bare, contains: digest, validates: bare)
    }

    /// dns-account-01 (draft-ietf-acme-dns-account-label): the dns-01 digest at
    /// `_<base32(SHA-256(account URL)[0..<10])>._acme-challenge.<name>`.
    public func dnsAccount01(name: String, digest: String, accountURL: String) async -> DCVOutcome {
        let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        return await txt(at: "\(Self.accountLabel(accountURL))._acme-challenge.\(bare)", contains: digest, validates: bare)
    }

    /// The account's label: `_` and the lower-case base32 of the first ten bytes of the SHA-256 of its URL.
    public static func accountLabel(_ accountURL: String) -> String {
        let bytes = Array(SHA256.hash(data: Data(accountURL.utf8)).prefix(10))
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var output = "_"
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        return output
    }

    /// dns-persist-01 (draft-ietf-acme-dns-persist, CA/B BR 3.2.2.4.22): a TXT record at
    /// `_validation-persist.<name>` naming one of `issuers`, with `accounturi` this account,
    /// `policy=wildcard` for a wildcard, and a `persistUntil` (Unix seconds) not past.
    public func dnsPersist01(name: String, issuers: [String], accountURL: String, now: Date) async -> DCVOutcome {
        let isWildcard = name.hasPrefix("*.")
        let bare = isWildcard ? String(name.dropFirst(2)) : name
        let owner = "_validation-persist.\(bare)"
        switch await lookup(owner, .txt) {
        case .success(let response):
            let texts = response.records(.txt).compactMap { record -> String? in
                if case .txt(let strings) = record.data { return strings.joined() }
                return nil
            }
            for text in texts {
                let value = IssuerValue(text)
                guard issuers.contains(value.issuer) else { continue }
                let parameters = value.parameters
                guard parameters["accounturi"] == accountURL else { continue }
                if isWildcard && parameters["policy"]?.lowercased() != "wildcard" { continue }
                if let until = parameters["persistuntil"] {
                    guard let seconds = TimeInterval(until), Date(timeIntervalSince1970: seconds) > now else { continue }
                }
                return .passed(domain: bare)
            }
            return .failed(
                texts.isEmpty
                    ? DCVFailure(.recordMissing, "no TXT record at \(owner)")
                    : DCVFailure(.tokenMismatch, "no TXT record at \(owner) names this CA and this account"))
        case .failure(let failure):
            return .failed(failure)
        }
    }

    private func txt(at owner: String, contains digest: String, validates domain: String) async -> DCVOutcome {
        switch await lookup(owner, .txt) {
        case .success(let response):
            let texts = response.records(.txt).compactMap { record -> String? in
                if case .txt(let strings) = record.data { return strings.joined() }
                return nil
            }
            if texts.contains(digest) { return .passed(domain: domain) }
            return .failed(
                texts.isEmpty
                    ? DCVFailure(.recordMissing, "no TXT record at \(owner)")
                    : DCVFailure(.tokenMismatch, "the TXT records at \(owner) do not hold the key authorization's digest"))
        case .failure(let failure):
            return .failed(failure)
        }
    }

    /// Sectigo's CNAME (`_<md5>` at the name or a parent) for the reseller dialect.
    public func sectigoCNAME(name: String, values: SectigoDCVValues) async -> DCVOutcome {
        let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        var failures: [DCVFailure] = []
        for domain in Self.authorizationDomains(bare) {
            let owner = values.dnsHostname + "." + domain
            switch await lookup(owner, .cname) {
            case .success(let response):
                let aliases = response.answers.compactMap { record -> String? in
                    if case .cname(let target) = record.data, record.name == owner { return target }
                    return nil
                }
                if aliases.contains(values.dnsValue.lowercased()) { return .passed(domain: domain) }
                failures.append(DCVFailure(aliases.isEmpty ? .recordMissing : .tokenMismatch, "no matching CNAME at \(owner)"))
            case .failure(let failure):
                failures.append(failure)
            }
        }
        return .failed(Self.mostTelling(failures, name: bare))
    }

    /// Sectigo's file (`/.well-known/pki-validation/<MD5>.txt`, no redirects) on the exact name.
    public func sectigoFile(name: String, values: SectigoDCVValues, https: Bool) async -> DCVOutcome {
        let expected = values.fileContent.split(separator: "\n").map(String.init)
        return await file(name, path: "/" + values.filePath + values.fileName, followRedirects: false, schemes: [https]) { body in
            let lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            return Array(lines.prefix(expected.count)) == expected
        }
    }

    private func file(
        _ name: String, path: String, followRedirects: Bool, schemes: [Bool] = [false, true], targets: NamePolicy = .public,
        matches: (String) -> Bool
    ) async -> DCVOutcome {
        var failures: [DCVFailure] = []
        for https in schemes {
            let url = "\(https ? "https" : "http")://\(name.contains(":") ? "[\(name)]" : name)\(path)"
            do {
                let body = try await web.get(
                    host: name, path: path, https: https, followRedirects: followRedirects, targets: targets)
                if matches(body) { return .passed(domain: name) }
                failures.append(DCVFailure(.tokenMismatch, "\(url) does not contain the random value"))
            } catch let failure as WebFetchFailure {
                failures.append(Self.describe(failure, url: url))
            } catch {
                failures.append(DCVFailure(.unreachable, "\(url): could not be fetched"))
            }
        }
        return .failed(failures.first(where: { $0.kind == .tokenMismatch }) ?? failures[0])
    }

    /// What the client learns of a failed fetch: the kind and a generic reason, never what a server
    /// answered (an internal server's status, body or redirect target stays inside).
    static func describe(_ failure: WebFetchFailure, url: String) -> DCVFailure {
        switch failure {
        case .refused(.noAddress): return DCVFailure(.nameNotFound, "\(url): the name has no address")
        case .refused(.notPublic):
            return DCVFailure(
                .unreachable,
                "\(url): the name resolves to no address Signet may reach (a public one, or a private one the container lists)")
        case .refused(.ownListener): return DCVFailure(.unreachable, "\(url): that is Signet's own listener")
        case .connection, .timeout: return DCVFailure(.unreachable, "\(url): could not be fetched")
        case .status: return DCVFailure(.fileNotFound, "\(url): the file was not found")
        case .redirectToOtherHost: return DCVFailure(.redirect, "\(url) redirects to another host")
        case .tooManyRedirects: return DCVFailure(.redirect, "\(url) redirects too often")
        }
    }

    private func lookup(_ name: String, _ type: DNSRecordType) async -> Result<DNSResponse, DCVFailure> {
        do {
            let response = try await resolver.query(name, type: type)
            switch response.responseCode {
            case DNSResponse.noError: return .success(response)
            case DNSResponse.nameError: return .failure(DCVFailure(.nameNotFound, "\(name) does not exist (NXDOMAIN)"))
            default:
                return .failure(
                    DCVFailure(.lookupFailed, "the lookup of \(name) failed (response code \(response.responseCode))"))
            }
        } catch DNSError.timeout {
            return .failure(DCVFailure(.lookupFailed, "no DNS answer for \(name) in time"))
        } catch {
            return .failure(DCVFailure(.lookupFailed, "the lookup of \(name) failed: \(error)"))
        }
    }

    /// The failure that says most: a wrong token over a missing record over a missing name.
    static func mostTelling(_ failures: [DCVFailure], name: String) -> DCVFailure {
        for kind in [DCVFailure.Kind.tokenMismatch, .lookupFailed, .recordMissing, .nameNotFound] {
            if let failure = failures.first(where: { $0.kind == kind }) { return failure }
        }
        return DCVFailure(.recordMissing, "no record found for \(name)")
    }
}
