import Foundation
import Testing

@testable import SignetPKI
@testable import SignetTestSupport
@testable import SignetValidation

/// The validation engine on its own, against unbound and against values computed by other tools.
@Suite("Validation engine")
struct ValidationEngineTests {
    @Test("The resolver reads TXT strings, CAA records and NXDOMAIN, and falls back to TCP for big answers")
    func resolver() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        let long = String(repeating: "x", count: 200)
        try await dns.add(
            ["txt.\(zone). TXT \"first part\" \"second\"", "caa.\(zone). CAA 128 issue signet.test"]
                + (0..<12).map { "big.\(zone). TXT \(long)\($0)" })
        let resolver = NetworkDNSResolver(server: dns.server, timeout: 10)
        let txt = try await resolver.query("txt.\(zone)", type: .txt)
        #expect(txt.records(.txt).first?.data == .txt(["first part", "second"]))
        let caa = try await resolver.query("caa.\(zone)", type: .caa)
        #expect(caa.records(.caa).first?.data == .caa(CAARecord(flags: 128, tag: "issue", value: "signet.test")))
        let missing = try await resolver.query("nothing.\(zone)", type: .txt)
        #expect(missing.responseCode == DNSResponse.nameError)
        let big = try await resolver.query("big.\(zone)", type: .txt)
        #expect(big.records(.txt).count == 12, "12 × 200 bytes needs TCP")
        #expect(!big.isTruncated)
    }

    @Test("CAA rules: issue, issuewild, empty issuer, unknown critical tags, parameters, climbing")
    func caaRules() {
        let checker = CAAChecker(resolver: NetworkDNSResolver(server: NameServer(host: "127.0.0.1")), identities: ["signet.test"])
        func verdict(_ records: [CAARecord], wildcard: Bool = false) -> CAAVerdict {
            checker.evaluate(records, at: "example.org", wildcard: wildcard)
        }
        #expect(verdict([CAARecord(flags: 0, tag: "issue", value: "signet.test")]) == .permitted)
        #expect(
            verdict([CAARecord(flags: 0, tag: "issue", value: " signet.test ; accounturi=https://x/1")]) != .permitted,
            "an order without that ACME account is not authorized (RFC 8657)")
        #expect(verdict([CAARecord(flags: 0, tag: "issue", value: "ca.example")]) != .permitted)
        #expect(verdict([CAARecord(flags: 0, tag: "issue", value: ";")]) != .permitted)
        #expect(verdict([CAARecord(flags: 0, tag: "iodef", value: "mailto:x@example.org")]) == .permitted)
        #expect(
            verdict([CAARecord(flags: 0, tag: "issuewild", value: "ca.example")]) == .permitted,
            "issuewild does not bind plain names")
        let mixed = [CAARecord(flags: 0, tag: "issue", value: "signet.test"), CAARecord(flags: 0, tag: "issuewild", value: ";")]
        #expect(verdict(mixed, wildcard: true) != .permitted)
        #expect(verdict(mixed, wildcard: false) == .permitted)
        #expect(verdict([CAARecord(flags: 0, tag: "issue", value: "signet.test")], wildcard: true) == .permitted)
        #expect(
            verdict([CAARecord(flags: 128, tag: "future", value: "x"), CAARecord(flags: 0, tag: "issue", value: "signet.test")])
                != .permitted)
        #expect(
            verdict([CAARecord(flags: 0, tag: "future", value: "x"), CAARecord(flags: 0, tag: "issue", value: "signet.test")])
                == .permitted)
    }

    @Test("CAA climbs to the parent's records and follows aliases")
    func caaClimbing() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await dns.add([
            "\(zone). CAA 0 issue other.ca", "open.\(zone). CAA 0 issue signet.test", "link.\(zone). CNAME open.\(zone).",
        ])
        let checker = CAAChecker(resolver: NetworkDNSResolver(server: dns.server, timeout: 10), identities: ["signet.test"])
        #expect(
            await checker.check("deep.sub.\(zone)")
                == .forbidden(domain: zone, reason: "its CAA issue records do not allow signet.test"))
        #expect(await checker.check("a.open.\(zone)") == .permitted)
        #expect(await checker.check("link.\(zone)") == .permitted)
        #expect(await checker.check("unrelated-\(zone)") == .permitted)
        let dead = CAAChecker(
            resolver: NetworkDNSResolver(server: NameServer(host: "127.0.0.1", port: 9), timeout: 0.3, attempts: 1),
            identities: ["signet.test"])
        if case .lookupFailed = await dead.check("x.\(zone)") {} else { Issue.record("an unreachable resolver must not permit") }
    }

    @Test("Sectigo values match MD5 and SHA-256 of the CSR's DER as Python computes them")
    func sectigoValues() async throws {
        let pem = try TestData.csr()
        let der = try PEM.derBytes(of: pem)
        let values = SectigoDCVValues(csrDER: der, uniqueValue: "20240424", brand: "comodoca.com")
        let python = try await Tools.run(
            "python3",
            [
                "-c",
                "import hashlib,sys; d=sys.stdin.buffer.read(); print(hashlib.md5(d).hexdigest(), hashlib.sha256(d).hexdigest())",
            ],
            input: Data(der))
        let hashes = python.output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(values.md5 == hashes[0])
        #expect(values.sha256 == hashes[1])
        #expect(values.dnsHostname == "_" + hashes[0])
        #expect(values.dnsValue == "\(hashes[1].prefix(32)).\(hashes[1].dropFirst(32)).20240424.comodoca.com")
        #expect(values.fileName == hashes[0].uppercased() + ".txt")
        #expect(values.fileContent == "\(hashes[1])\ncomodoca.com\n20240424")
        #expect(SectigoDCVValues(csrDER: der, uniqueValue: nil).fileContent == "\(hashes[1])\ncomodoca.com")
    }

    @Test("Sectigo's CNAME and file are checked like the other methods")
    func sectigoChecks() async throws {
        let dns = try TestDNS.shared
        let web = try await TestWebServer()
        defer { web.stop() }
        let zone = TestDNS.uniqueZone()
        let values = SectigoDCVValues(csrDER: try PEM.derBytes(of: try TestData.csr()), uniqueValue: "u1", brand: "signet.test")
        try await dns.add(["\(values.dnsHostname).\(zone). CNAME \(values.dnsValue).", "files.\(zone). A 127.0.0.1"])
        try web.serve(values.fileContent, host: "files.\(zone)", path: "/" + values.filePath + values.fileName)
        let resolver = NetworkDNSResolver(server: dns.server, timeout: 10)
        let fetcher = WebFetcher(
            policy: OutboundAddressPolicy(resolver: resolver, allowPrivate: true), httpPort: web.port, httpsPort: web.port)
        let checker = DomainControlChecker(resolver: resolver, web: fetcher, cnameZone: "dcv.signet.test")
        #expect(await checker.sectigoCNAME(name: "*.\(zone)", values: values) == .passed(domain: zone))
        #expect(
            await checker.sectigoFile(name: "files.\(zone)", values: values, https: false) == .passed(domain: "files.\(zone)"))
        if case .passed = await checker.sectigoFile(name: "files.\(zone)", values: values, https: true) {
            Issue.record("HTTPS against a plain HTTP port must fail")
        }
        try await fetcher.shutdown()
    }

    @Test(
        "HTTP fetches go to the checked address with the name in Host: HTTPS without judging the certificate, same-host redirects across schemes, bounded bodies, paths sent as encoded"
    )
    func pinnedFetch() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        let host = "files.\(zone)"
        try await dns.add(["\(host). A 127.0.0.1"])
        let plain = try await TestWebServer()
        defer { plain.stop() }
        let secure = try await TestWebServer(tls: true)
        defer { secure.stop() }
        let policy = OutboundAddressPolicy(resolver: NetworkDNSResolver(server: dns.server, timeout: 10), allowPrivate: true)
        let fetcher = WebFetcher(policy: policy, httpPort: plain.port, httpsPort: secure.port)
        try plain.serve("over http", host: host, path: "/a.txt")
        try secure.serve("over https", host: host, path: "/a.txt")
        #expect(try await fetcher.get(host: host, path: "/a.txt", https: false) == "over http")
        #expect(plain.hostHeaders.last == "\(host):\(plain.port)")
        #expect(try await fetcher.get(host: host, path: "/a.txt", https: true) == "over https", "a self-signed certificate")
        try plain.serve("https://\(host)/b.txt", host: host, path: "/moved.txt", suffix: ".redirect")
        try secure.serve("moved here", host: host, path: "/b.txt")
        #expect(try await fetcher.get(host: host, path: "/moved.txt", https: false) == "moved here")
        let short = WebFetcher(policy: policy, httpPort: plain.port, httpsPort: secure.port, maximumBytes: 4)
        #expect(try await short.get(host: host, path: "/a.txt", https: false) == "over")
        // A redirect's escaped bytes stay escaped: no CR LF reaches the request line.
        try plain.serve("/x%0d%0aX-Injected:%20yes", host: host, path: "/inject.txt", suffix: ".redirect")
        await #expect(throws: WebFetchFailure.status(404)) {
            try await fetcher.get(host: host, path: "/inject.txt", https: false)
        }
        #expect(plain.requests.contains("\(host)/x%0d%0aX-Injected:%20yes"))
        await #expect(throws: WebFetchFailure.self) { try await fetcher.get(host: host, path: "/a b", https: false) }
    }

    @Test("Approver addresses: five local parts at the base domain and at the name; name servers parse")
    func smallParts() {
        let addresses = ApproverEmail.addresses(for: "*.shop.example.com")
        #expect(addresses.count == 10)
        #expect(addresses.prefix(5).allSatisfy { $0.hasSuffix("@example.com") })
        #expect(ApproverEmail.validatedDomain(by: "Admin@shop.example.com", for: "shop.example.com") == "shop.example.com")
        #expect(ApproverEmail.validatedDomain(by: "ceo@example.com", for: "shop.example.com") == nil)
        #expect(NameServer("127.0.0.1:5353") == NameServer(host: "127.0.0.1", port: 5353))
        #expect(NameServer("[::1]:53") == NameServer(host: "::1", port: 53))
        #expect(NameServer("10.0.0.2") == NameServer(host: "10.0.0.2", port: 53))
        #expect(NameServer("host:notaport") == nil)
        #expect(RandomValue.make().count == 32)
    }

    @Test("CAA parameters (RFC 8657): accounturi and validationmethods bind a record to one ACME account and its methods")
    func caaParameters() throws {
        let checker = CAAChecker(
            resolver: NetworkDNSResolver(server: try TestDNS.shared.server, timeout: 1), identities: ["signet.test"])
        let account = "https://ca.example/acme/account/7"
        let bound = [
            CAARecord(flags: 0, tag: "issue", value: "signet.test; accounturi=\(account); validationmethods=dns-01,http-01")
        ]
        #expect(checker.evaluate(bound, at: "x.test", wildcard: false, accountURI: account, method: "http-01") == .permitted)
        #expect(checker.evaluate(bound, at: "x.test", wildcard: false, accountURI: account, method: "tls-alpn-01") != .permitted)
        #expect(
            checker.evaluate(bound, at: "x.test", wildcard: false, accountURI: account + "0", method: "http-01") != .permitted)
        // A CertCentral order has no ACME account: a record bound to one does not allow it.
        #expect(checker.evaluate(bound, at: "x.test", wildcard: false) != .permitted)
        let either = bound + [CAARecord(flags: 0, tag: "issue", value: "signet.test")]
        #expect(checker.evaluate(either, at: "x.test", wildcard: false) == .permitted)
    }
}
