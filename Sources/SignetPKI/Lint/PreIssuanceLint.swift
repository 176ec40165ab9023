import Foundation
import SignetCore
import X509

/// One thing the pre-issuance lint found, named after the rule it breaks.
public struct LintFinding: Sendable, Equatable, CustomStringConvertible {
    /// Who can fix it.
    public enum Cause: Sendable, Equatable {
        /// The request asked for it: the client can fix it, and `field` names what to change.
        case request(field: String?)
        /// Signet's own profile or configuration produced it: nothing is signed, and the operator is told.
        case authority
    }

    /// The rule, e.g. `BR 7.1.2.11.2` or `RFC 5280 4.1.2.5`.
    public let rule: String
    public let message: String
    public let cause: Cause

    public init(rule: String, message: String, cause: Cause) {
        self.rule = rule
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(rule): \(message)" }
}

/// The lint refused to let a key sign something.
public struct LintFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let findings: [LintFinding]

    public init(findings: [LintFinding]) { self.findings = findings }

    /// Whether every finding is the request's to fix (a 400); otherwise it is Signet's (a 500).
    public var isCausedByRequest: Bool {
        findings.allSatisfy { if case .request = $0.cause { return true } else { return false } }
    }

    /// The request field the first request finding names.
    public var field: String? {
        for finding in findings { if case .request(let field?) = finding.cause { return field } }
        return nil
    }

    public var description: String { findings.map(\.description).joined(separator: "; ") }
}

/// The gate every signature passes (Baseline Requirements 4.3.1.2, in force since 2025-03-15):
/// certificates, CRLs and OCSP responses are linted as to-be-signed objects, and a key signs only
/// what passes. The checks cover every rule pkilint applies to Signet's profiles that could fail:
/// subject fields by validation level, extensions and their criticality, key usage by key type,
/// validity, name forms and URLs.
public enum PreIssuanceLint {
    /// The findings about a to-be-signed certificate to be signed by `issuer` (`nil`: self-signed) at `now`.
    public static func findings(
        _ tbs: ToBeSignedCertificate, issuer: CACertificate?, now: Date, policy: ValidityPolicy = .cabForum
    )
        -> [LintFinding]
    {
        var lint = CertificateLint(tbs: tbs, issuer: issuer, now: now, policy: policy)
        lint.run()
        return lint.findings
    }

    static func require(_ tbs: ToBeSignedCertificate, issuer: CACertificate?, now: Date) throws(LintFailure) {
        let found = findings(tbs, issuer: issuer, now: now)
        if !found.isEmpty { throw LintFailure(findings: found) }
    }

    static func require(_ list: RevocationList) throws(LintFailure) {
        let found = RevocationLint.findings(list)
        if !found.isEmpty { throw LintFailure(findings: found) }
    }

    static func require(_ response: OCSPResponseBuilder) throws(LintFailure) {
        let found = RevocationLint.findings(response)
        if !found.isEmpty { throw LintFailure(findings: found) }
    }
}
