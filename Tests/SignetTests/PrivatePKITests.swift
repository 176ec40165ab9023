import Foundation
import SignetCore
import SignetValidation
import Testing

@testable import SignetTestSupport

/// A team's own CA (docs/private-pki.md): a private container issues internal names and IP
/// addresses, validated through its own DNS and web servers or by the operator's pre-authorization;
/// a public container behaves exactly as before.
@Suite("Private PKI")
struct PrivatePKITests {
    /// A private container named `name` (single-label names on) with `targets` for HTTP checks.
    static func privateContainer(
        _ signet: TestSignet, name: String = "internal", targets: [String] = [], authorize: [String] = []
    ) async throws -> Int {
        let container = try await signet.administration.createContainer(name: name, parentID: nil)
        try await signet.administration.setNamePolicy(
            containerID: container.id,
            NamePolicy(scope: .private, singleLabel: true, privateTargets: targets.compactMap(IPRange.init)))
        if !authorize.isEmpty {
            try await signet.administration.authorize(containerID: container.id, authorize, addedBy: "ops-lead")
        }
        return container.id
    }

    /// Seed 003's order for `names` (the first is the common name) in `container`.
    static func order(
        _ signet: TestSignet, _ names: [String], container: Int?, organizationID: Int, method: String? = nil,
        product: String = "ssl_basic"
    ) async throws -> TestResponse {
        var body = TestData.secureSiteOrder(
            csr: try TestData.csr(), organizationID: organizationID, commonName: names[0], dnsNames: Array(names.dropFirst()))
        if let container { body["container"] = ["id": container] }
        if let method { body["dcv_method"] = method }
        return try await signet.call(.POST, "order/certificate/\(product)", json: body)
    }

    static let internalNames = ["db.corp.internal", "printer.lan", "api.svc.cluster.local", "10.0.4.17", "fd00::17"]

    // Keys are cached briefly with their containers' policies: containers are set up before the first call.
    @Test("A private container issues internal names and addresses (iPAddress SANs); a public one refuses each")
    func internalNamesAndAddresses() async throws {
        try await withSignet { signet in
            let container = try await Self.privateContainer(
                signet, authorize: ["corp.internal", "lan", "cluster.local", "10.0.0.0/8", "fd00::/8"])
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await Self.order(signet, Self.internalNames, container: container, organizationID: organizationID)
            #expect(placed.status == .created, "\(placed.text)")
            let chain = try #require(placed.json["certificate_chain"] as? [[String: Any]], "issued at once: \(placed.text)")
            let leaf = try #require(chain.first?["pem"] as? String)
            let text = try await Tools.describe(leaf)
            for dns in ["DNS:db.corp.internal", "DNS:printer.lan", "DNS:api.svc.cluster.local"] {
                #expect(text.contains(dns), "\(dns) in \(text)")
            }
            #expect(text.contains("IP Address:10.0.4.17") && text.contains("IP Address:FD00:0:0:0:0:0:0:17"), "\(text)")
            #expect(!text.contains("DNS:10.0.4.17") && !text.contains("DNS:fd00"), "addresses never in dNSName: \(text)")
            let verdict = try await Tools.verify(
                leaf: leaf, intermediate: try #require(chain[1]["pem"] as? String), root: try #require(chain[2]["pem"] as? String)
            )
            #expect(verdict.status == 0, "\(verdict.output) \(verdict.error)")

            // pkilint reports only the private profile's expected findings (docs/pki.md).
            let report = try #require(
                try await PKIJudge.judge([
                    PKIJudge.Document(
                        linter: "lint_cabf_serverauth_cert", arguments: ["-d"], contents: Data(leaf.utf8), label: "private")
                ]).first)
            let unexpected = report.errors.filter { error in !Self.expectedPrivateFindings.contains { error.contains($0) } }
            #expect(unexpected.isEmpty, "\(report.output)")
            for finding in Self.expectedPrivateFindings {
                #expect(report.errors.contains { $0.contains(finding) }, "pkilint judged the names: \(report.output)")
            }

            // The same names in the public top container, one at a time: each refused, nothing stored.
            let before = try await signet.orderCount()
            for name in Self.internalNames {
                let refused = try await Self.order(signet, [name], container: nil, organizationID: organizationID)
                #expect(refused.status == .badRequest, "\(name): \(refused.text)")
                #expect(
                    ["invalid_dns_name", "invalid_value:certificate.common_name", "ip_address_not_allowed"].contains {
                        refused.errorCode?.hasPrefix($0) == true
                    }, "\(name): \(refused.text)")
            }
            #expect(try await signet.orderCount() == before)
        }
    }

    /// pkilint's WebPKI findings that a private leaf is expected to carry: its names are internal.
    static let expectedPrivateFindings = ["cabf.internal_domain_name", "cabf.internal_ip_address"]

    @Test("Pre-authorization: inside is issued at once and records who and when; outside waits for DCV; no other container")
    func preauthorizations() async throws {
        try await withSignet { signet in
            let container = try await Self.privateContainer(signet, authorize: ["corp.internal", "10.20.0.0/16"])
            let other = try await Self.privateContainer(signet, name: "other")
            let organizationID = try await signet.prepareAccount(domains: [])

            let inside = try await Self.order(
                signet, ["app.corp.internal", "10.20.1.2"], container: container, organizationID: organizationID)
            #expect(inside.json["certificate_chain"] != nil, "\(inside.text)")
            let orderID = try #require(inside.json["id"] as? Int)
            let info = try await signet.call(.GET, "order/certificate/\(orderID)")
            let domains = try #require(info.json["domains"] as? [[String: Any]], "\(info.text)")
            #expect(domains.count == 2, "\(domains)")
            for domain in domains {
                #expect(domain["dcv_method"] as? String == "preauthorized", "\(domain)")
                #expect(domain["status"] as? String == "validated", "\(domain)")
                #expect((domain["message"] as? String)?.contains("pre-authorized by ops-lead on") == true, "\(domain)")
            }

            let outside = try await Self.order(
                signet, ["app.elsewhere.internal"], container: container, organizationID: organizationID,
                method: "dns-txt-token")
            #expect(outside.status == .created && outside.json["certificate_chain"] == nil, "\(outside.text)")
            let otherContainer = try await Self.order(
                signet, ["app.corp.internal"], container: other, organizationID: organizationID, method: "dns-txt-token")
            #expect(otherContainer.status == .created, "\(otherContainer.text)")
            #expect(otherContainer.json["certificate_chain"] == nil, "another container's authorization counts for nothing")
            let publicOne = try await Self.order(signet, ["app.corp.internal"], container: nil, organizationID: organizationID)
            #expect(publicOne.status == .badRequest, "\(publicOne.text)")

            // The domains API follows the container's policy too.
            let internalDomain = try await signet.call(
                .POST, "domain", json: ["name": "shop.internal", "dcv_method": "dns-txt-token", "container": ["id": other]])
            #expect(internalDomain.status == .created, "\(internalDomain.text)")
            let publicDomain = try await signet.call(
                .POST, "domain", json: ["name": "shop.internal", "dcv_method": "dns-txt-token"])
            #expect(publicDomain.status == .badRequest, "\(publicDomain.text)")

            // Pre-authorizations are for private containers only.
            await #expect(throws: OrderRuleError.self) {
                try await signet.administration.authorize(containerID: 1, ["example.com"], addedBy: "ops")
            }
        }
    }

    @Test("DCV for a private name through the operator's DNS, and HTTP only to the private blocks the container lists")
    func privateValidation() async throws {
        let dns = try TestDNS.shared
        let web = try await TestWebServer()
        defer { web.stop() }
        let zone = "t\(UUID().uuidString.prefix(8).lowercased()).internal"
        try await dns.add(["web.\(zone). A 127.0.0.1"])
        try await withSignet(configure: {
            $0.dcvHTTPPort = web.port; $0.dcvHTTPSPort = web.port
        }) { signet in
            let listed = try await Self.privateContainer(signet, targets: ["127.0.0.0/8"])
            let unlisted = try await Self.privateContainer(signet, name: "unlisted", targets: ["10.0.0.0/8"])
            let organizationID = try await signet.prepareAccount(domains: [])

            // DNS: a TXT record in the internal zone the operator's resolver serves.
            let txt = try await Self.order(
                signet, ["db.\(zone)"], container: listed, organizationID: organizationID, method: "dns-txt-token")
            let txtID = try #require(txt.json["id"] as? Int, "\(txt.text)")
            try await dns.add(["_dnsauth.db.\(zone). TXT \(try #require(txt.json["dcv_random_value"] as? String))"])
            let txtChecked = try await signet.call(.PUT, "order/certificate/\(txtID)/check-dcv")
            #expect(txtChecked.json["order_status"] as? String == "issued", "\(txtChecked.text)")

            // HTTP: the name resolves to 127.0.0.1, which one container lists and the other does not.
            for (container, allowed) in [(unlisted, false), (listed, true)] {
                let placed = try await Self.order(
                    signet, ["web.\(zone)"], container: container, organizationID: organizationID, method: "http-token")
                let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")
                let token = try #require(placed.json["dcv_random_value"] as? String)
                try web.serve(token, host: "web.\(zone)", path: "/.well-known/pki-validation/fileauth.txt")
                let served = web.requests.count
                let checked = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
                if allowed {
                    #expect(checked.json["order_status"] as? String == "issued", "\(checked.text)")
                } else {
                    #expect(checked.errorCode == "file_random_value_not_found", "\(checked.text)")
                    #expect(checked.text.contains("no address Signet may reach"), "\(checked.text)")
                    #expect(web.requests.count == served, "refused before any connection was made")
                }
            }
        }
    }

    @Test("Hostile spellings of addresses and names: each refused or read one way, in private and public containers alike")
    func hostileForms() async throws {
        try await withSignet { signet in
            let container = try await Self.privateContainer(signet, authorize: ["example", "10.0.0.0/8", "fd00::/8"])
            let organizationID = try await signet.prepareAccount(domains: [])
            // name → what a private container makes of it (nil: refused).
            let cases: [(String, String?)] = [
                ("10.0.0.1.example", "DNS:10.0.0.1.example"), ("0x0a.0.0.1", nil), ("010.0.0.1", nil), ("10.1", nil),
                ("[fd00::1]", nil), ("FD00::ABCD", "IP Address:FD00:0:0:0:0:0:0:ABCD"), ("::ffff:10.0.0.1", nil),
                ("::ffff:a00:1", nil), ("db.example.", "DNS:db.example"), ("127.0.0.1", nil), ("fe80::1", nil),
                ("*.example", nil), ("localhost", nil), ("1.2.3.4.5", nil),
            ]
            for (name, expected) in cases {
                let before = try await signet.orderCount()
                let answer = try await Self.order(signet, [name], container: container, organizationID: organizationID)
                if let expected {
                    let leaf = try #require(
                        (answer.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String,
                        "\(name): \(answer.text)")
                    let text = try await Tools.describe(leaf)
                    #expect(text.contains(expected), "\(name): \(text)")
                } else {
                    #expect(answer.status == .badRequest, "\(name): \(answer.text)")
                    #expect(try await signet.orderCount() == before, "\(name) stored an order")
                }
                let publicAnswer = try await Self.order(signet, [name], container: nil, organizationID: organizationID)
                #expect(publicAnswer.status == .badRequest, "a public container refuses \(name): \(publicAnswer.text)")
            }
        }
    }

    @Test("Contact data is no certificate identity: internal and internationalized contact addresses in every container")
    func contactAddresses() async throws {
        try await withSignet { signet in
            var organization = TestData.organization()
            organization["organization_contact"] = [
                "first_name": "Ops", "last_name": "Team", "email": "ops@mesh.example", "telephone": "8015551212",
            ]
            let created = try await signet.call(.POST, "organization", json: organization)
            #expect(created.status == .created, "\(created.text)")
            organization["organization_contact"] = [
                "first_name": "Jürgen", "last_name": "Groß", "email": "jürgen@bücher.example", "telephone": "8015551212",
            ]
            #expect(try await signet.call(.POST, "organization", json: organization).status == .created)
            organization["organization_contact"] = [
                "first_name": "A", "last_name": "B", "email": "not an address", "telephone": "8015551212",
            ]
            #expect(try await signet.call(.POST, "organization", json: organization).status == .badRequest)
            #expect(EmailAddress.isContactAddress("\"first last\"@corp.internal"))
            #expect(EmailAddress.isContactAddress("ops@[10.0.0.1]"))
            #expect(!EmailAddress.isContactAddress("ops@@corp"))
        }
    }

    @Test("S/MIME mailboxes follow the container's naming policy")
    func mailboxes() async throws {
        try await withSignet(dcv: .alwaysValid) { signet in
            let container = try await Self.privateContainer(signet)
            let organizationID = try await signet.prepareAccount(domains: [])
            var body = TestData.clientOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: true)
            var certificate = try #require(body["certificate"] as? [String: Any])
            certificate["emails"] = ["alice@corp.internal"]
            body["certificate"] = certificate
            body["container"] = ["id": container]
            let issued = try await signet.call(.POST, "order/certificate/client_premium_sha2", json: body)
            #expect(issued.json["certificate_chain"] != nil, "\(issued.text)")
            body["container"] = ["id": 1]
            let refused = try await signet.call(.POST, "order/certificate/client_premium_sha2", json: body)
            #expect(refused.status == .badRequest, "\(refused.text)")
        }
    }

    @Test("An IP address is validated by a file at the address itself; never at Signet's own listener or a metadata service")
    func addressChecks() async throws {
        let dns = try TestDNS.shared
        let web = try await TestWebServer()
        defer { web.stop() }
        try web.serve("the-token", host: "127.0.0.1", path: "/.well-known/pki-validation/fileauth.txt")
        let resolver = NetworkDNSResolver(server: dns.server, timeout: 10)
        let loopback = NamePolicy(scope: .private, privateTargets: ["127.0.0.0/8", "169.254.0.0/16"].compactMap(IPRange.init))
        func checker(listeningOn port: Int?) -> DomainControlChecker {
            let policy = OutboundAddressPolicy(
                resolver: resolver, allowPrivate: false, ownListener: port.map { OwnListener(port: $0, boundTo: "0.0.0.0") })
            return DomainControlChecker(
                resolver: resolver, web: WebFetcher(policy: policy, httpPort: web.port, httpsPort: web.port),
                cnameZone: "dcv.signet.test")
        }
        let passed = await checker(listeningOn: nil).check(
            .httpToken, name: "127.0.0.1", tokens: ["the-token"], targets: loopback)
        #expect(passed == .passed(domain: "127.0.0.1"))
        #expect(web.requests.count == 1, "\(web.requests)")
        let unlisted = await checker(listeningOn: nil).check(.httpToken, name: "127.0.0.1", tokens: ["the-token"])
        #expect(unlisted != .passed(domain: "127.0.0.1"), "a public policy reaches no private address")
        let own = await checker(listeningOn: web.port).check(
            .httpToken, name: "127.0.0.1", tokens: ["the-token"], targets: loopback)
        guard case .failed(let failure) = own else {
            Issue.record("Signet's own listener was fetched")
            return
        }
        #expect(failure.detail.contains("Signet's own listener"), "\(failure)")
        let metadata = await checker(listeningOn: nil).check(
            .httpToken, name: "169.254.169.254", tokens: ["x"], targets: loopback)
        guard case .failed(let refused) = metadata else {
            Issue.record("a metadata service was reachable")
            return
        }
        #expect(refused.detail.contains("no address Signet may reach"), "\(refused)")
        #expect(web.requests.count == 1, "no request beyond the first: \(web.requests)")
        let dnsMethod = await checker(listeningOn: nil).check(.dnsTXTToken, name: "10.0.0.1", tokens: ["x"], targets: loopback)
        #expect(dnsMethod != .passed(domain: "10.0.0.1"), "an address is validated by http-token only")
    }
}
