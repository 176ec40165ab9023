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

/// Outbound requests (HTTP validation, callbacks) go only to public addresses, in every notation,
/// and connect to exactly the address that was checked (docs/security.md).
@Suite("Outbound requests")
struct OutboundRequestTests {
    @Test("Internal addresses are recognized in every notation; public ones pass")
    func addressNotations() {
        let internalAddresses = [
            "127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "[::1]", "::127.0.0.1",
            "::ffff:127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::", "2002:a00:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1",
            "64:ff9b:1::1", "100::1",
        ]
        for text in internalAddresses {
            let address = IPAddress(literal: text)
            #expect(address != nil, "\(text) is an address")
            #expect(address?.isPublic == false, "\(text) must not count as public")
        }
        for text in ["8.8.8.8", "134744072", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            #expect(IPAddress(literal: text)?.isPublic == true, "\(text) is public")
        }
        #expect(IPAddress(literal: "2130706433")?.description == "127.0.0.1")
        #expect(IPAddress(literal: "0x7f.1")?.description == "127.0.0.1")
        for name in ["example.com", "1.2.3.4.5", "256.1.1.1", "0x1ffffffff", "09.1.1.1"] {
            #expect(IPAddress(literal: name) == nil, "\(name)")
        }
    }

    @Test("The address to connect to: an allowed IPv4 address first, else an allowed IPv6 one, else a refusal")
    func addressChoice() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await dns.add([
            "both.\(zone). A 8.8.8.8", "both.\(zone). AAAA 2606:4700:4700::1111",
            "private4.\(zone). A 10.0.0.1", "private4.\(zone). AAAA 2606:4700:4700::1111",
            "only6.\(zone). AAAA 2606:4700:4700::1001", "internal.\(zone). A 10.0.0.2", "internal.\(zone). AAAA fd00::2",
        ])
        let policy = OutboundAddressPolicy(resolver: NetworkDNSResolver(server: dns.server, timeout: 10), allowPrivate: false)
        #expect(try await policy.address(for: "both.\(zone)") == IPAddress(literal: "8.8.8.8"))
        #expect(try await policy.address(for: "private4.\(zone)") == IPAddress(literal: "2606:4700:4700::1111"))
        #expect(try await policy.address(for: "only6.\(zone)") == IPAddress(literal: "2606:4700:4700::1001"))
        await #expect(throws: OutboundRefusal.notPublic(host: "internal.\(zone)")) {
            try await policy.address(for: "internal.\(zone)")
        }
        await #expect(throws: OutboundRefusal.noAddress(host: "none.\(zone)")) { try await policy.address(for: "none.\(zone)") }
    }

    @Test("HTTP validation of a name that points at loopback fails with a generic reason, and the internal server is never asked")
    func validationRefusesInternalAddresses() async throws {
        let web = try await TestWebServer()
        defer { web.stop() }
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await dns.add(["www.\(zone). A 127.0.0.1"])
        try await withSignet(configure: {
            $0.dcvHTTPPort = web.port; $0.dcvHTTPSPort = web.port
        }) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await DCVTests.order(
                signet, organizationID: organizationID, names: ["www.\(zone)"], method: "http-token")
            let orderID = try #require(placed.json["id"] as? Int)
            let token = try #require(placed.json["dcv_random_value"] as? String)
            try web.serve("\(token)\nsecret internal page", host: "www.\(zone)", path: "/.well-known/pki-validation/fileauth.txt")
            let check = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(check.errorCode == "file_random_value_not_found", "\(check.text)")
            #expect(DCVTests.message(check).contains("resolves to no address Signet may reach"), "\(check.text)")
            #expect(!check.text.contains("secret internal page") && !check.text.contains("127.0.0.1"))
            #expect(web.requests.isEmpty, "Signet connected to an internal address: \(web.requests)")
            #expect(try await DCVTests.status(signet, orderID) == "pending")
        }
    }

    @Test(
        "notify_url: internal addresses in every notation are refused; a name only Signet's resolver knows is called at the checked address"
    )
    func callbacksGoWhereTheyWereChecked() async throws {
        try await withSignet { signet in
            let client = try await ResellerTests.start(signet)
            let csr = try TestData.csr(.rsa2048, commonName: "www.example.com")
            for (index, url) in [
                "http://127.0.0.1:8080/hook", "http://2130706433/hook", "http://0177.0.0.1/hook",
                "http://[::ffff:127.0.0.1]/hook",
                "http://[::127.0.0.1]/hook", "http://[64:ff9b::7f00:1]/hook", "http://[::ffff:0:7f00:1]/hook",
                "http://[2002:7f00:1::]/hook", "http://169.254.169.254/latest/meta-data", "http://localhost/hook",
            ].enumerated() {
                var body = ResellerTests.createBody(zone: "example.com", csr: csr, uniqueID: "hook-\(index)")
                body["notify_url"] = url
                let answer = try await client.call("certificate/create", body)
                #expect(answer.status == 422, "\(url): \(answer.text)")
                #expect(answer.fieldErrors["notify_url"] != nil, "\(url): \(answer.text)")
            }
            #expect(try await signet.orderCount() == 0)
        }

        // With private targets allowed (a closed network), the callback connects to the address Signet's
        // own resolver gave: the system resolver does not know the name at all.
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await dns.add(["hook.\(zone). A 127.0.0.1"])
        try await withSignet(
            dcv: .alwaysValid,
            configure: {
                $0.allowPrivateTargets = true; $0.callbackRetryBase = 0.3
            }
        ) { signet in
            let client = try await ResellerTests.start(signet)
            let receiver = try await CallbackReceiver(secret: client.secret, failFirst: 0)
            defer { receiver.stop() }
            var body = ResellerTests.createBody(zone: zone, csr: try TestData.csr(.rsa2048, commonName: "www.\(zone)"))
            body["notify_url"] = "http://hook.\(zone):\(receiver.port)/callback"
            let created = try await client.call("certificate/create", body)
            #expect(created.success, "\(created.text)")
            #expect(try await Tools.eventually(within: 15) { !receiver.calls.isEmpty }, "the callback was not delivered")
            #expect(receiver.calls.first?["verified"] as? Bool == true)
        }
    }
}
