import Foundation
import SignetCore
import SignetHTTP
import Testing

@testable import SignetTestSupport

/// The five seed pages are the contract: every request example in them (curl, Python, Go, Node),
/// parsed from the page itself, is sent as printed, with only `<csr>`, `{{…}}` placeholders and
/// the example ids replaced by real ones, and gets a documented answer.
@Suite("Seed contract")
struct SeedContractTests {
    @Test("Every page yields its requests and documented responses")
    func pagesParse() throws {
        for (number, requests, responses) in [("000", 1, 2), ("001", 1, 3), ("002", 1, 1), ("003", 2, 5), ("004", 1, 1)] {
            let page = try SeedPage.load(number)
            #expect(Set(page.requests.map(\.canonicalKey)).count == requests, "seed \(number): \(page.requests)")
            #expect(page.responses.count == responses, "seed \(number): \(page.responses)")
        }
    }

    /// The committed fixture holds exactly what the pages say; `SIGNET_WRITE_SEED_FIXTURE=1` rewrites it
    /// from the pages after they change. Runs where the pages are at hand (`../shared/seeds`).
    @Test("The contract fixture holds what the seed pages say", .enabled(if: SeedPage.pagesPresent))
    func fixtureInStep() throws {
        let pages = try ["000", "001", "002", "003", "004"].map { try SeedPage.read($0).stored }
        if ProcessInfo.processInfo.environment["SIGNET_WRITE_SEED_FIXTURE"] == "1" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(pages).write(to: SeedPage.fixture)
        }
        let committed = try JSONDecoder().decode([SeedPage.Stored].self, from: Data(contentsOf: SeedPage.fixture))
        #expect(committed == pages, "the seed pages changed: rerun with SIGNET_WRITE_SEED_FIXTURE=1 and commit the fixture")
    }

    @Test("Seed 001 as printed, for each of its four products: 201 in a documented shape, pkilint clean")
    func seed001() async throws {
        let page = try SeedPage.load("001")
        let products = Set(page.products)
            .subtracting(["client_certificate_id", "client_certificate"]).sorted()
        #expect(products.count == 4, "\(products)")
        try await withSignet { signet in
            let ids = try await SeedIDs.prepare(signet)
            var issued: [(String, String)] = []
            for product in products {
                for request in page.distinctRequests {
                    let path = request.path.replacingOccurrences(of: "{{client_certificate_id}}", with: product)
                    let body = try ids.replacing(request.bodyObject(), csr: try TestData.csr(.rsa2048, commonName: "Lock Cole"))
                    let answer = try await signet.call(.POST, path, json: body)
                    #expect(answer.status == .created, "\(product): \(answer.text)")
                    try Self.expectDocumented(answer, page, "\(product)")
                    let certificateID = try #require(answer.json["certificate_id"] as? Int, "\(product): \(answer.text)")
                    issued.append((product, try await Self.pem(signet, certificateID: certificateID)))
                }
            }
            // As printed, a sponsor's order names no person: an organization-validated subject with the mailbox.
            let premium = try #require(issued.first { $0.0 == "client_premium_sha2" })
            let printed = try await Tools.describe(premium.1)
            #expect(printed.contains("OU = Accounting, CN = locke.cole@example.com"), "\(printed)")
            #expect(printed.contains("2.23.140.1.5.2.2") && !printed.contains("GN ="), "\(printed)")
            // With the person's names (the README's walk-through), the personal-name subject.
            for product in ["client_premium_sha2", "client_digital_signature_plus_sha2"] {
                var body = try ids.replacing(
                    try #require(page.distinctRequests.first).bodyObject(), csr: try TestData.csr(.p256, commonName: "Lock Cole"))
                var certificate = try #require(body["certificate"] as? [String: Any])
                certificate["first_name"] = "Lock"
                certificate["last_name"] = "Cole"
                body["certificate"] = certificate
                let answer = try await signet.call(.POST, "order/certificate/\(product)", json: body)
                #expect(answer.status == .created, "\(answer.text)")
                let certificateID = try #require(answer.json["certificate_id"] as? Int, "\(answer.text)")
                let pem = try await Self.pem(signet, certificateID: certificateID)
                let text = try await Tools.describe(pem)
                #expect(text.contains("GN = Lock, SN = Cole, CN = Lock Cole") && text.contains("2.23.140.1.5.3.2"), "\(text)")
                issued.append((product, pem))
            }
            try await Self.lint(issued)
        }
    }

    @Test("Seed 003 as printed (curl's and the other languages' bodies): 201 pending; issued after approval, pkilint clean")
    func seed003() async throws {
        let page = try SeedPage.load("003")
        try await withSignet { signet in
            let ids = try await SeedIDs.prepare(signet)
            var issued: [(String, String)] = []
            for request in page.distinctRequests {
                let body = try ids.replacing(request.bodyObject(), csr: try TestData.csr(.p256))
                let answer = try await signet.call(.POST, request.path, json: body)
                #expect(answer.status == .created, "\(request.path): \(answer.text)")
                try Self.expectDocumented(answer, page, request.path)
                let orderID = try #require(answer.json["id"] as? Int)
                let certificateID = try await Self.approve(signet, answer)
                let product = String(request.path.split(separator: "/").last ?? "")
                #expect(try await Self.orderStatus(signet, orderID) == "issued")
                issued.append((product, try await Self.pem(signet, certificateID: certificateID)))
            }
            try await Self.lint(issued)
        }
    }

    @Test("Seed 000 as printed: a reissue answers 201 in a documented shape; the reissued certificate is pkilint clean")
    func seed000() async throws {
        let page = try SeedPage.load("000")
        try await withSignet { signet in
            let ids = try await SeedIDs.prepare(signet)
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_securesite_pro",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: ids.organization))
            let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")
            for request in page.distinctRequests {
                let path = request.path.replacingOccurrences(of: "{{order_id}}", with: String(orderID))
                let body = try ids.replacing(request.bodyObject(), csr: try TestData.csr(.rsa2048))
                let answer = try await signet.call(.POST, path, json: body)
                #expect(answer.status == .created, "\(answer.text)")
                try Self.expectDocumented(answer, page, "reissue")
                let certificateID = try await Self.approve(signet, answer)
                try await Self.lint([("ssl_securesite_pro", try await Self.pem(signet, certificateID: certificateID))])
            }
        }
    }

    @Test("Seed 002 as printed: the duplicates of an order in the documented shape")
    func seed002() async throws {
        let page = try SeedPage.load("002")
        try await withSignet { signet in
            let ids = try await SeedIDs.prepare(signet)
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_securesite_pro",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: ids.organization))
            let orderID = try #require(placed.json["id"] as? Int, "\(placed.text)")
            let duplicate = try await signet.call(
                .POST, "order/certificate/\(orderID)/duplicate",
                json: [
                    "certificate": [
                        "common_name": "example.com", "dns_names": ["sub.example.com"], "csr": try TestData.csr(),
                        "signature_hash": "sha256",
                    ],
                    "skip_approval": true,
                ])
            #expect(duplicate.status == .created, "\(duplicate.text)")
            for request in page.distinctRequests {
                #expect(request.method == "GET" && request.body == nil)
                let answer = try await signet.call(
                    .GET, request.path.replacingOccurrences(of: "{{order_id}}", with: String(orderID)))
                #expect(answer.status == .ok, "\(answer.text)")
                try Self.expectDocumented(answer, page, "duplicates")
            }
        }
    }

    @Test("Seed 004 as printed: a reseller reissue of an OV order answers success in the documented shape")
    func seed004() async throws {
        let page = try SeedPage.load("004")
        let request = try #require(page.distinctRequests.first)
        // The page's notify_url must resolve to an address Signet may call; here it is loopback.
        try await TestDNS.shared.add(["system.com. A 127.0.0.1"])
        try await withSignet(configure: { $0.allowPrivateTargets = true }) { signet in
            let client = try await ResellerTests.start(signet, funds: "100000.00")
            for domain in ["example.com", "example2.com", "example3.com", "example4.com"] {
                try await signet.administration.validateDomain(name: domain)
            }
            var create = try request.bodyObject()
            create["unique_id"] = "seed-004-create"
            create["product_id"] = "ssl_basic"
            create["period"] = "annually"
            create["domain_dcv"] = ["example.com": "dns"]
            create["csr"] = try TestData.csr(.rsa2048)
            let created = try await client.call("certificate/create", create)
            #expect(created.success, "\(created.text)")
            let serviceID = try #require(created.data["service_id"] as? String, "\(created.text)")
            // The order created its organization from the page's fields; an OV order waits for it to be validated.
            let orderID = try #require((created.data["caid"] as? String).flatMap { Int($0) }, "\(created.text)")
            let organizationID = try #require(try await signet.store.read { try $0.order(id: orderID)?.organizationID })
            try await signet.administration.validateOrganization(id: organizationID, level: .ov)
            let issued = try await Tools.eventually {
                try await signet.store.read { try $0.order(id: orderID)?.status } == .issued
            }
            #expect(issued, "the OV order is issued once its organization is validated")

            var body = try request.bodyObject()
            body["service_id"] = serviceID
            body["csr"] = try TestData.csr(.rsa2048)
            let answer = try await client.call("certificate/reissue", body)
            #expect(answer.status == 200 && answer.success, "\(answer.text)")
            let value = try #require(JSONValue.parse(Array(answer.text.utf8)))
            #expect(DocumentedShape.mismatch(value, anyOf: page.responses) == nil, "\(answer.text)")
        }
    }

    // MARK: helpers

    static func expectDocumented(_ answer: TestResponse, _ page: SeedPage, _ label: String) throws {
        let value = try #require(JSONValue.parse(Array(answer.body)), "\(label): \(answer.text)")
        let reason = DocumentedShape.mismatch(value, anyOf: page.responses)
        #expect(reason == nil, "seed \(page.number), \(label): \(reason ?? "") in \(answer.text)")
    }

    /// Approves the request an answer names (as an administrator would) and returns the certificate's id.
    static func approve(_ signet: TestSignet, _ answer: TestResponse) async throws -> Int {
        if let certificateID = answer.json["certificate_id"] as? Int { return certificateID }
        let requestID = try #require((answer.json["requests"] as? [[String: Any]])?.first?["id"] as? Int, "\(answer.text)")
        let approved = try await signet.call(.PUT, "request/\(requestID)/status", json: ["status": "approved"])
        #expect(approved.status == .noContent, "\(approved.text)")
        let request = try await signet.call(.GET, "request/\(requestID)")
        let order = try #require(request.json["order"] as? [String: Any], "\(request.text)")
        let orderID = try #require(order["id"] as? Int)
        let info = try await signet.call(.GET, "order/certificate/\(orderID)")
        return try #require((info.json["certificate"] as? [String: Any])?["id"] as? Int, "\(info.text)")
    }

    static func orderStatus(_ signet: TestSignet, _ orderID: Int) async throws -> String? {
        try await signet.call(.GET, "order/certificate/\(orderID)").json["status"] as? String
    }

    static func pem(_ signet: TestSignet, certificateID: Int) async throws -> String {
        let download = try await signet.call(.GET, "certificate/\(certificateID)/download/format/pem_all")
        #expect(download.status == .ok, "\(download.text)")
        let text = download.text
        let end = try #require(text.range(of: "-----END CERTIFICATE-----"), "\(text)")
        return String(text[..<end.upperBound]) + "\n"
    }

    static func lint(_ certificates: [(product: String, pem: String)]) async throws {
        let reports = try await PKIJudge.judge(
            certificates.map { product, pem in
                let (linter, arguments) = PKIJudge.linter(forProduct: product)
                return PKIJudge.Document(linter: linter, arguments: arguments, contents: Data(pem.utf8), label: product)
            })
        for report in reports { #expect(report.errors.isEmpty, "\(report.label): \(report.output)") }
    }
}

/// The real objects that stand in for a page's example ids: a funded account with example.com,
/// example2.com and example3.com validated, a validated organization, the top container, and a user.
struct SeedIDs {
    let organization: Int
    let container: Int
    let user: Int

    static func prepare(_ signet: TestSignet) async throws -> SeedIDs {
        let organization = try await signet.prepareAccount(domains: ["example.com", "example2.com", "example3.com"])
        let me = try await signet.call(.GET, "user/me")
        let user = try #require(me.json["id"] as? Int, "\(me.text)")
        let container = try #require((me.json["container"] as? [String: Any])?["id"] as? Int, "\(me.text)")
        return SeedIDs(organization: organization, container: container, user: user)
    }

    /// `body` with `<csr>` and the example ids replaced: `organization.id`, `container.id` and the
    /// contacts' `user_id`.
    func replacing(_ body: [String: Any], csr: String) throws -> [String: Any] {
        var body = body
        if var certificate = body["certificate"] as? [String: Any], certificate["csr"] as? String == "<csr>" {
            certificate["csr"] = csr
            body["certificate"] = certificate
        }
        if var organization = body["organization"] as? [String: Any] {
            if organization["id"] != nil { organization["id"] = self.organization }
            if let contacts = organization["contacts"] as? [[String: Any]] {
                organization["contacts"] = contacts.map { contact in
                    var contact = contact
                    if contact["user_id"] != nil { contact["user_id"] = user }
                    return contact
                }
            }
            body["organization"] = organization
        }
        if var container = body["container"] as? [String: Any], container["id"] != nil {
            container["id"] = self.container
            body["container"] = container
        }
        return body
    }
}

extension SeedPage {
    /// The page's requests, one per distinct method, path and body (languages that agree count once).
    var distinctRequests: [Request] {
        var seen: Set<String> = []
        return requests.filter { seen.insert($0.canonicalKey).inserted }
    }
}

extension SeedPage.Request {
    var canonicalKey: String { "\(method) \(path) \(body.flatMap(SeedPage.canonical) ?? "")" }
}
