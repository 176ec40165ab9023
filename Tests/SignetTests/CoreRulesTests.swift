import Foundation
import SignetCore
import SignetValidation
import Testing

@testable import SignetTestSupport

@Suite("Core rules")
struct CoreRulesTests {
    @Test("DNS names are normalized and bad ones refused with a reason")
    func dnsNames() throws {
        #expect(try DNSName("Sub.Example.COM.").value == "sub.example.com")
        #expect(try DNSName("*.example.com").isWildcard)
        #expect(try DNSName("xn--bcher-kva.de").value == "xn--bcher-kva.de")
        #expect(try DNSName("shop.example.co.uk").value == "shop.example.co.uk")
        #expect(try DNSName("*.example.co.uk").isWildcard)
        #expect(try DNSName("www.xn--fiqs8s").value == "www.xn--fiqs8s", "a Unicode TLD of the list, as its A-label")
        let cases: [(String, DNSName.Problem)] = [
            ("xn--zz.com", .invalidPunycode("xn--zz")), ("xn--bcher-kva-.com", .badLabel("xn--bcher-kva-")),
            ("xn--abc.com", .invalidPunycode("xn--abc")), ("xn--www-qqa.com", .invalidPunycode("xn--www-qqa")),
            ("xn--ls8h.com", .invalidPunycode("xn--ls8h")),
            ("shop.test", .reserved(suffix: "test")), ("db.internal", .reserved(suffix: "internal")),
            ("nas.lan", .reserved(suffix: "lan")), ("mail.corp", .reserved(suffix: "corp")),
            ("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", .reserved(suffix: "onion")),
            ("example.notatld", .unknownTopLevelDomain("notatld")), ("*.co.uk", .wildcardTooBroad),
            ("co.uk", .publicSuffix("co.uk")), ("*.other.kawasaki.jp", .wildcardTooBroad),
            ("", .empty), ("localhost", .singleLabel), ("exa_mple.com", .badLabel("exa_mple")),
            ("-bad.example.com", .badLabel("-bad")), ("a.*.example.com", .misplacedWildcard),
            ("*foo.example.com", .misplacedWildcard), ("*.com", .wildcardTooBroad), ("printer.local", .reserved(suffix: "local")),
            ("10.0.0.1", .ipAddress), ("2001:db8::1", .ipAddress), ("host.123", .ipAddress),
            ("a.b:c", .ipAddress), ("1.2.3.4.5", .ipAddress), ("0001.2.3.4", .ipAddress),
            (String(repeating: "a", count: 64) + ".com", .badLabel(String(repeating: "a", count: 64))),
            (Array(repeating: "abcdefghij", count: 26).joined(separator: "."), .tooLong),
        ]
        for (raw, problem) in cases {
            #expect(throws: problem, "\(raw)") { try DNSName(raw) }
        }
        let wildcard = try DNSName("*.example.com")
        #expect(wildcard.isCovered(byValidatedDomain: "example.com"))
        #expect(try DNSName("a.b.example.com").isCovered(byValidatedDomain: "example.com"))
        #expect(!(try DNSName("badexample.com").isCovered(byValidatedDomain: "example.com")))
    }

    @Test("The Public Suffix List decides registrable domains, with wildcard and exception rules")
    func publicSuffixes() {
        let list = PublicSuffixList.shared
        #expect(list.registrableDomain(of: "a.b.example.co.uk") == "example.co.uk")
        #expect(list.registrableDomain(of: "co.uk") == nil)
        #expect(list.registrableDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp", "an exception rule")
        #expect(list.registrableDomain(of: "a.b.other.kawasaki.jp") == "b.other.kawasaki.jp", "a wildcard rule")
        #expect(list.authorizationDomains(of: "*.shop.example.com") == ["shop.example.com", "example.com"])
        #expect(list.authorizationDomains(of: "co.uk").isEmpty)
        // Case, empty labels and a final dot do not change the suffix (the list's algorithm splits on dots).
        #expect(list.suffixLabelCount(of: "Shop.Example.CO.UK.") == 2)
        #expect(list.suffixLabelCount(of: "a..example..com") == 1)
        #expect(list.suffixLabelCount(of: "") == 0)
        #expect(list.suffixLabelCount(of: "city.kawasaki.jp") == 2)
        #expect(list.isPublicSuffix("x.kawasaki.jp") && !list.isPublicSuffix("city.kawasaki.jp"))
        #expect(ApproverEmail.baseDomain(of: "www.example.co.uk") == "example.co.uk")
    }

    @Test("Punycode decodes and encodes RFC 3492's samples; hostile labels give nil, never a trap")
    func punycode() {
        #expect(Punycode.aLabel("bücher") == "xn--bcher-kva")
        #expect(Punycode.aLabel("中国") == "xn--fiqs8s")
        #expect(Punycode.decode("bcher-kva").map { String(String.UnicodeScalarView($0)) } == "bücher")
        #expect(Punycode.decode("zz") == nil || !IDNLabel.isValidALabel("xn--zz"))
        for hostile in ["99999999999999999", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "-", "a-", "!!", "9999zzzz9999zzzz9999"] {
            _ = Punycode.decode(Substring(hostile))
            #expect(!IDNLabel.isValidALabel(Substring("xn--" + hostile)), "\(hostile)")
        }
    }

    @Test("E-mail addresses need a dot-atom local part and a DNS domain")
    func emails() {
        #expect(EmailAddress("locke.cole@example.com")?.domain.value == "example.com")
        for bad in ["no-at-sign", "@example.com", "a..b@example.com", "a@localhost", "a b@example.com", "a@*.example.com"] {
            #expect(EmailAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("Money parses two decimals at most and prints CertCentral's strings")
    func money() {
        #expect(Money(decimal: "454")?.description == "454.00")
        #expect(Money(decimal: "12.5")?.cents == 1250)
        #expect(Money(decimal: "0.05")?.description == "0.05")
        #expect((Money(cents: -250)).description == "-2.50")
        for bad in ["", "1.234", "abc", "1,00", ".5"] { #expect(Money(decimal: bad) == nil, "\(bad)") }
    }

    @Test("TLS validity follows the CA/Browser Forum dates with DigiCert's one-day margin")
    func validityCaps() {
        let policy = ValidityPolicy.cabForum
        #expect(policy.maximumTLSDays(on: ValidityPolicy.utcDay(2026, 3, 14)) == 397)
        #expect(policy.maximumTLSDays(on: ValidityPolicy.utcDay(2026, 3, 15)) == 199)
        #expect(policy.maximumTLSDays(on: ValidityPolicy.utcDay(2027, 3, 15)) == 99)
        #expect(policy.maximumTLSDays(on: ValidityPolicy.utcDay(2029, 3, 15)) == 46)
        #expect(policy.domainReuseDays(on: ValidityPolicy.utcDay(2026, 11, 23)) == 199)
        #expect(policy.organizationReuseDays(on: ValidityPolicy.utcDay(2026, 11, 23)) == 397)
    }

    @Test("Validity fields: custom date over days over years, each within its bounds")
    func validityRequests() throws {
        let start = ValidityPolicy.utcDay(2026, 11, 23)
        let both = ValidityRequest(years: 1, days: 30, fieldPrefix: "")
        #expect(try both.end(from: start, allowedYears: 1...3, maximumDays: 1095) == start.addingTimeInterval(30 * 86_400))
        let dated = ValidityRequest(years: 2, days: 30, customExpirationDate: "2027-01-31", fieldPrefix: "")
        #expect(try dated.end(from: start, allowedYears: 1...3, maximumDays: 1095) > start.addingTimeInterval(60 * 86_400))
        #expect(throws: OrderRuleError.invalidValue(field: "validity_years", reason: "allowed values are 1 to 3")) {
            try ValidityRequest(years: 4, fieldPrefix: "").end(from: start, allowedYears: 1...3, maximumDays: 1095)
        }
        #expect(throws: OrderRuleError.self) {
            try ValidityRequest(customExpirationDate: "2026-02-30", fieldPrefix: "").end(
                from: start, allowedYears: 1...3, maximumDays: 1095)
        }
        #expect(throws: OrderRuleError.self) {
            try ValidityRequest(customExpirationDate: "2020-01-01", fieldPrefix: "order_validity.").end(
                from: start, allowedYears: 1...3, maximumDays: 1095)
        }
    }

    @Test("Order plans check names, hashes and products, and price by years and names")
    func orderPlans() throws {
        let now = ValidityPolicy.utcDay(2026, 11, 23)
        var submission = OrderSubmission(productNameID: "ssl_securesite_flex")
        submission.commonName = "Example.com"
        submission.dnsNames = ["www.example.com", "example.com", "*.example.com"]
        submission.csr = "x"
        submission.signatureHash = "sha256"
        submission.organization = .existing(1)
        submission.legacyValidity = ValidityRequest(years: 2, fieldPrefix: "")
        let plan = try OrderRules.plan(submission, now: now)
        #expect(plan.names.commonName == "example.com")
        #expect(plan.names.subjectAlternativeNames(isTLS: true) == ["example.com", "www.example.com", "*.example.com"])
        #expect(plan.billedYears == 2)
        #expect(plan.price == Money(cents: (39_900 + 2 * 14_900) * 2))

        var plus = submission
        plus.productNameID = "ssl_plus"
        plus.dnsNames = ["www.example.com"]
        #expect(try OrderRules.plan(plus, now: now).names.dnsNames == ["www.example.com"])
        plus.dnsNames = ["other.example.com"]
        #expect(throws: OrderRuleError.additionalNamesNotAllowed("other.example.com")) { try OrderRules.plan(plus, now: now) }

        var ev = submission
        ev.productNameID = "ssl_ev_basic"
        #expect(throws: OrderRuleError.wildcardNotAllowed("*.example.com")) { try OrderRules.plan(ev, now: now) }

        var sha1 = submission
        sha1.signatureHash = "sha1"
        #expect(throws: OrderRuleError.unsupportedSignatureHash("sha1", allowed: [.sha256, .sha384, .sha512])) {
            try OrderRules.plan(sha1, now: now)
        }
        #expect(throws: OrderRuleError.unknownProduct("ssl_nonexistent")) {
            try OrderRules.plan(OrderSubmission(productNameID: "ssl_nonexistent"), now: now)
        }
    }

    @Test("The catalog has every product of the issue, client ids with and without _sha2")
    func catalog() {
        let ids = [
            "ssl_basic", "ssl_securesite_flex", "ssl_securesite_pro", "ssl_ev_basic", "ssl_ev_securesite_flex",
            "ssl_ev_securesite_pro", "ssl_plus", "ssl_multi_domain", "ssl_wildcard", "ssl_ev_plus", "client_premium_sha2",
            "client_premium", "client_email_security_plus", "client_email_security_plus_sha2", "client_authentication_plus",
            "client_authentication_plus_sha2", "client_digital_signature_plus_sha2", "client_digital_signature_plus",
        ]
        for id in ids { #expect(ProductCatalog.product(nameID: id) != nil, "\(id)") }
        #expect(ProductCatalog.product(nameID: "client_premium")?.nameID == "client_premium_sha2")
        #expect(ProductCatalog.product(nameID: "ssl_ev_basic")?.validationLevel == .ev)
        #expect(ProductCatalog.product(nameID: "client_premium")?.allowedHashes == [.sha256])
    }
}

@Suite("Snake-case names")
struct ColumnNameTests {
    @Test("Property names map to the snake-case keys and columns the encoders' own conversions give")
    func snakeCase() {
        for (name, column) in [
            ("id", "id"), ("orderValidTill", "order_valid_till"), ("renewalOfOrderId", "renewal_of_order_id"),
            ("orderID", "order_id"), ("dcvJSONText", "dcv_json_text"), ("sha1Hex", "sha1_hex"),
            ("autoRenewalDue", "auto_renewal_due"),
        ] {
            #expect(SnakeCase.converted(name) == column)
            #expect(SnakeCase.name(for: name) == column)
        }
    }
}

@Suite("Base64url")
struct Base64URLTests {
    @Test("Encodes as Foundation's base64 with the URL alphabet and no padding; decodes it back; refuses the rest")
    func roundTrip() {
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
            #expect(Base64URL.decode(expected) == bytes)
        }
        for refused in ["A", "AAAAA", "AB=C", "ab+/", "QUJD=", "é", "QU JD"] {
            #expect(Base64URL.decode(refused) == nil, "\(refused)")
        }
    }
}
