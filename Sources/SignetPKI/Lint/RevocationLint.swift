import Foundation
import SignetCore

/// The checks of CRLs (RFC 5280 5, BR 7.2, 4.9.7) and OCSP responses (RFC 6960, BR 4.9.10, RFC 9654).
/// Their inputs are Signet's own, so every finding is the authority's.
enum RevocationLint {
    static func findings(_ list: RevocationList) -> [LintFinding] {
        var found: [LintFinding] = []
        func fail(_ rule: String, _ message: String) {
            found.append(LintFinding(rule: rule, message: message, cause: .authority))
        }
        if list.thisUpdate >= list.nextUpdate { fail("RFC 5280 5.1.2.5", "nextUpdate must come after thisUpdate") }
        let lifetime = list.nextUpdate.timeIntervalSince(list.thisUpdate)
        if list.isRoot ? lifetime > 366 * 86_400 : lifetime > 10 * 86_400 {
            fail(
                "BR 4.9.7",
                list.isRoot
                    ? "a CA's CRL of issuing CAs is valid for at most twelve months" : "a CRL is valid for at most ten days")
        }
        if list.number < 1 { fail("RFC 5280 5.2.3", "the CRL number must be a positive integer") }
        for entry in list.revoked {
            if SerialNumber(hex: entry.serialNumber) == nil {
                fail("RFC 5280 5.1.2.6", "\(entry.serialNumber) is not a serial number")
            }
            if entry.revocation.date > list.thisUpdate { fail("RFC 5280 5.1.2.6", "a revocation cannot lie after thisUpdate") }
        }
        return found
    }

    static func findings(_ response: OCSPResponseBuilder) -> [LintFinding] {
        var found: [LintFinding] = []
        func fail(_ rule: String, _ message: String) {
            found.append(LintFinding(rule: rule, message: message, cause: .authority))
        }
        let lifetime = response.nextUpdate.timeIntervalSince(response.producedAt)
        if lifetime < 8 * 3600 || lifetime > 10 * 86_400 {
            fail("BR 4.9.10", "an OCSP response is valid for at least eight hours and at most ten days")
        }
        if response.statuses.isEmpty { fail("RFC 6960 4.2.1", "a response answers at least one certificate") }
        if let nonce = response.nonce, !(3...34).contains(nonce.count) {
            fail("RFC 9654 2.1", "a nonce holds 1 to 32 octets")
        }
        return found
    }
}
