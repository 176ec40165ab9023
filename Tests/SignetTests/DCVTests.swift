import Foundation
import SignetCore
import SignetValidation
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Domain control validation against real servers on loopback: unbound for DNS, Python's
/// http.server for HTTP. Each test uses a zone of its own in the shared unbound.
@Suite("Domain control validation")
struct DCVTests {
    /// Places an ssl_basic order with skip_approval for `names` validated by `method`.
    static func order(
        _ signet: TestSignet, organizationID: Int, names: [String], method: String?, product: String = "ssl_basic"
    ) async throws -> TestResponse {
        var body = TestData.secureSiteOrder(
            csr: try TestData.csr(), organizationID: organizationID, commonName: names[0], dnsNames: Array(names.dropFirst()))
        if let method { body["dcv_method"] = method }
        return try await signet.call(.POST, "order/certificate/\(product)", json: body)
    }

    static func status(_ signet: TestSignet, _ orderID: Int) async throws -> String? {
        try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String
    }

    static func message(_ response: TestResponse) -> String {
        ((response.json["errors"] as? [[String: Any]])?.first?["message"] as? String) ?? ""
    }

    @Test("dns-txt-token: a wrong value fails with invalid_dns_txt; the right one at _dnsauth validates and issues")
    func dnsTXT() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["shop.\(zone)"], method: "dns-txt-token")
            #expect(placed.status == .created, "\(placed.text)")
            let orderID = try #require(placed.json["id"] as? Int)
            let token = try #require(placed.json["dcv_random_value"] as? String)
            #expect(token.count == 32 && token.allSatisfy { $0.isLowercase || $0.isNumber })
            #expect((placed.json["domains"] as? [[String: Any]])?.first?["name"] as? String == "shop.\(zone)")
            #expect(placed.json["certificate_chain"] == nil)
            let pending = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect(pending.json["status"] as? String == "pending")
            let names = try #require(pending.json["domains"] as? [[String: Any]])
            #expect(names.first?["status"] as? String == "pending")
            #expect(names.first?["dcv_method"] as? String == "dns-txt-token")

            let missing = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "invalid_dns_txt")
            #expect(Self.message(missing).contains("NXDOMAIN"), "\(missing.text)")

            try await dns.add(["_dnsauth.shop.\(zone). TXT wrongvalue"])
            let wrong = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(wrong.errorCode == "invalid_dns_txt")
            #expect(Self.message(wrong).contains("do not contain the random value"), "\(wrong.text)")
            #expect(try await Self.status(signet, orderID) == "pending")

            try await dns.remove(["_dnsauth.shop.\(zone)."])
            try await dns.add(["_dnsauth.shop.\(zone). TXT \(token)"])
            let passed = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(passed.status == .ok, "\(passed.text)")
            #expect(passed.json["order_status"] as? String == "issued")
            #expect(passed.json["dcv_status"] as? String == "valid")
            let validations = try #require(passed.json["dns_name_validations"] as? [[String: Any]])
            #expect(validations.first?["status"] as? String == "approved")
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            #expect((info.json["domains"] as? [[String: Any]])?.first?["status"] as? String == "validated")

            let domains = try #require(try await signet.call(.GET, "domain").json["domains"] as? [[String: Any]])
            let shop = try #require(domains.first { $0["name"] as? String == "shop.\(zone)" })
            #expect(shop["status"] as? String == "active")
            #expect(shop["name_scope"] as? String == "base_domain")
        }
    }

    @Test("A TXT record at the parent validates every name below it, and the validation is reused")
    func parentValidationAndReuse() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["a.\(zone)", "b.\(zone)"], method: "dns-txt-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let token = try #require(placed.json["dcv_random_value"] as? String)
            try await dns.add(["\(zone). TXT \"signet-validation=\(token)\""])
            #expect(try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv").status == .ok)
            #expect(try await Self.status(signet, orderID) == "issued")

            let second = try await Self.order(
                signet, organizationID: organizationID, names: ["c.\(zone)"], method: "dns-txt-token")
            #expect((second.json["certificate_chain"] as? [Any])?.count == 3, "reused validation: \(second.text)")
            #expect(second.json["dcv_random_value"] == nil)
        }
    }

    @Test("dns-cname-token: _dnsauth CNAME to <random value>.<dcv zone>")
    func dnsCNAME() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await withSignet(configure: { $0.dcvCNAMEZone = "dcv.signet.test" }) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["www.\(zone)"], method: "dns-cname-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let token = try #require(placed.json["dcv_random_value"] as? String)
            try await dns.add(["_dnsauth.www.\(zone). CNAME elsewhere.dcv.signet.test."])
            let wrong = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(wrong.errorCode == "invalid_dns_cname", "\(wrong.text)")
            try await dns.remove(["_dnsauth.www.\(zone)."])
            try await dns.add(["_dnsauth.www.\(zone). CNAME \(token).dcv.signet.test."])
            let passed = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(passed.status == .ok, "\(passed.text)")
            #expect(passed.json["order_status"] as? String == "issued")
        }
    }

    @Test("http-token: the file on the exact name validates it; wrong content, 404 and foreign redirects fail")
    func httpToken() async throws {
        let dns = try TestDNS.shared
        let web = try await TestWebServer()
        defer { web.stop() }
        let zone = TestDNS.uniqueZone()
        try await dns.add([
            "\(zone). A 127.0.0.1", "www.\(zone). A 127.0.0.1", "moved.\(zone). A 127.0.0.1", "api.\(zone). A 127.0.0.1",
        ])
        try await withSignet(configure: {
            $0.dcvHTTPPort = web.port; $0.dcvHTTPSPort = web.port; $0.allowPrivateTargets = true
        }) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let path = "/.well-known/pki-validation/fileauth.txt"

            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["www.\(zone)"], method: "http-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let token = try #require(placed.json["dcv_random_value"] as? String)
            let notFound = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(notFound.errorCode == "file_random_value_not_found")
            // The client learns that the file was missing, not what the web server answered.
            #expect(Self.message(notFound).contains("the file was not found"), "\(notFound.text)")
            #expect(!Self.message(notFound).contains("404"), "\(notFound.text)")
            try web.serve("something else", host: "www.\(zone)", path: path)
            let wrong = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(wrong.errorCode == "file_random_value_not_found")
            try web.serve("\(token)\n", host: "www.\(zone)", path: path)
            let passed = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(passed.status == .ok, "\(passed.text)")
            #expect(try await Self.status(signet, orderID) == "issued")
            let domains = try #require(try await signet.call(.GET, "domain").json["domains"] as? [[String: Any]])
            #expect(domains.first { $0["name"] as? String == "www.\(zone)" }?["name_scope"] as? String == "fqdn")

            // An HTTP validation covers only its name: api.<zone> needs its own.
            let sibling = try await Self.order(
                signet, organizationID: organizationID, names: ["api.\(zone)"], method: "http-token")
            #expect(sibling.json["certificate_chain"] == nil)

            let redirected = try await Self.order(
                signet, organizationID: organizationID, names: ["moved.\(zone)"], method: "http-token")
            let redirectedID = try #require(redirected.json["id"] as? Int)
            let movedToken = try #require(redirected.json["dcv_random_value"] as? String)
            try web.serve("http://evil.example.net\(path)", host: "moved.\(zone)", path: path, suffix: ".redirect")
            let foreign = try await signet.call(.PUT, "order/certificate/\(redirectedID)/check-dcv")
            #expect(foreign.errorCode == "file_random_value_not_found")
            #expect(Self.message(foreign).contains("redirects to another host"), "\(foreign.text)")
            try web.serve("/elsewhere.txt", host: "moved.\(zone)", path: path, suffix: ".redirect")
            try web.serve(movedToken, host: "moved.\(zone)", path: "/elsewhere.txt")
            let sameHost = try await signet.call(.PUT, "order/certificate/\(redirectedID)/check-dcv")
            #expect(sameHost.status == .ok, "a redirect within the host is followed: \(sameHost.text)")
        }
    }

    @Test("Checks are bounded in time: a silent DNS server and a web server that never answers fail cleanly")
    func timeouts() async throws {
        let web = try await TestWebServer()
        defer { web.stop() }
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await dns.add(["slow.\(zone). A 127.0.0.1"])
        try web.serve("60", host: "slow.\(zone)", path: "/.well-known/pki-validation/fileauth.txt", suffix: ".sleep")
        try await withSignet(configure: {
            $0.dcvHTTPPort = web.port; $0.dcvHTTPSPort = web.port; $0.allowPrivateTargets = true
        }) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["slow.\(zone)"], method: "http-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let slow = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(slow.errorCode == "file_random_value_not_found")
            #expect(Self.message(slow).contains("no answer in time") || Self.message(slow).contains("http"), "\(slow.text)")
        }
        // A UDP port where nothing answers stands for an unreachable name server.
        try await withSignet(configure: {
            $0.dnsServer = NameServer(host: "127.0.0.1", port: 9); $0.dnsTimeout = 1
        }) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["x.\(zone)"], method: "dns-txt-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let silent = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(silent.errorCode == "invalid_dns_txt")
            #expect(Self.message(silent).contains("no DNS answer") || Self.message(silent).contains("failed"), "\(silent.text)")
        }
    }

    @Test("Wildcards accept only DNS and e-mail methods")
    func wildcardMethods() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let http = try await Self.order(signet, organizationID: organizationID, names: ["*.\(zone)"], method: "http-token")
            #expect(http.status == .badRequest)
            #expect(http.errorCode == "invalid_dcv_method")
            #expect(try await signet.orderCount() == 0)
            let dns = try await Self.order(signet, organizationID: organizationID, names: ["*.\(zone)"], method: "dns-txt-token")
            let orderID = try #require(dns.json["id"] as? Int)
            let change = try await signet.call(
                .PUT, "order/certificate/\(orderID)/dcv-method", json: ["dcv_method": "http-token"])
            #expect(change.errorCode == "invalid_dcv_method")
            let unknown = try await signet.call(.PUT, "order/certificate/\(orderID)/dcv-method", json: ["dcv_method": "fax"])
            #expect(unknown.errorCode == "invalid_dcv_method")
            let cname = try await signet.call(
                .PUT, "order/certificate/\(orderID)/dcv-method", json: ["dcv_method": "dns-cname-token"])
            #expect(cname.status == .ok)
            #expect(cname.json["dcv_random_value"] as? String == dns.json["dcv_random_value"] as? String)
            let value = try await signet.call(.PUT, "order/certificate/\(orderID)/dcv-random-value")
            #expect(value.json["dcv_random_value"] as? String == dns.json["dcv_random_value"] as? String)
            #expect((value.json["expiration_date"] as? String)?.hasSuffix("+00:00") == true)
        }
    }

    @Test("CAA: a record naming Signet allows, another CA's denies with caa_check_failed, issuewild governs wildcards")
    func caa() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await dns.add([
            "allowed.\(zone). CAA 0 issue signet.test",
            "denied.\(zone). CAA 0 issue letsencrypt.org",
            "wild.\(zone). CAA 0 issue signet.test", "wild.\(zone). CAA 0 issuewild letsencrypt.org",
            "critical.\(zone). CAA 128 tbs unknown",
            "alias.\(zone). CNAME denied.\(zone).",
        ])
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [zone])
            let allowed = try await Self.order(
                signet, organizationID: organizationID, names: ["allowed.\(zone)", "www.allowed.\(zone)"], method: nil)
            #expect((allowed.json["certificate_chain"] as? [Any])?.count == 3, "\(allowed.text)")

            for name in ["denied.\(zone)", "sub.denied.\(zone)", "*.wild.\(zone)", "critical.\(zone)", "alias.\(zone)"] {
                let refused = try await Self.order(signet, organizationID: organizationID, names: [name], method: nil)
                #expect(refused.status == .created)
                #expect(refused.json["certificate_chain"] == nil, "\(name) must not issue")
                let orderID = try #require(refused.json["id"] as? Int)
                #expect(try await Self.status(signet, orderID) == "pending")
                let info = try await signet.call(.GET, "order/certificate/\(orderID)")
                let messages = try #require(info.json["caa_status_message"] as? [String: String], "\(name): \(info.text)")
                #expect(messages[name]?.hasPrefix("caa_check_failed|") == true, "\(name): \(messages)")
                let check = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
                #expect(check.errorCode?.hasPrefix("caa_check_failed|") == true, "\(name): \(check.text)")
            }
            let plain = try await Self.order(signet, organizationID: organizationID, names: ["wild.\(zone)"], method: nil)
            #expect((plain.json["certificate_chain"] as? [Any])?.count == 3, "issue allows the bare name: \(plain.text)")
        }
    }

    @Test("An order issues by itself once its record appears; a validation expires after the reuse period")
    func backgroundAndExpiry() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        let clock = FixedWallClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        try await withSignet(clock: clock) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(
                signet, organizationID: organizationID, names: ["auto.\(zone)"], method: "dns-txt-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let token = try #require(placed.json["dcv_random_value"] as? String)
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(try await Self.status(signet, orderID) == "pending")
            try await dns.add(["_dnsauth.auto.\(zone). TXT \(token)"])
            var status = ""
            try await Tools.eventually(within: 30) {
                clock.advance(by: 60)
                status = try await Self.status(signet, orderID) ?? ""
                return status == "issued"
            }
            #expect(status == "issued", "the background re-check should have issued it")

            let reused = try await Self.order(
                signet, organizationID: organizationID, names: ["auto.\(zone)"], method: "dns-txt-token")
            #expect((reused.json["certificate_chain"] as? [Any])?.count == 3)
            try await dns.remove(["_dnsauth.auto.\(zone)."])
            clock.advance(by: 200 * 86_400)
            try await signet.administration.validateOrganization(id: organizationID, level: .ov)
            let expired = try await Self.order(
                signet, organizationID: organizationID, names: ["auto.\(zone)"], method: "dns-txt-token")
            #expect(expired.json["certificate_chain"] == nil, "the validation expired after 199 days")
            #expect(expired.json["dcv_random_value"] is String)
        }
    }
}
