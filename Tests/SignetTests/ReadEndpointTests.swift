import Foundation
import SignetCore
import Testing
import Vapor

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// Products, account objects, order lists, certificates and every download format.
@Suite("Read endpoints")
struct ReadEndpointTests {
    @Test("Products: the list and one product with levels, hashes and prices")
    func products() async throws {
        try await withSignet { signet in
            let list = try await signet.call(.GET, "product")
            let products = try #require(list.json["products"] as? [[String: Any]])
            #expect(products.count == ProductCatalog.all.count)
            let pro = try await signet.call(.GET, "product/ssl_securesite_pro")
            #expect(pro.json["validation_type"] as? String == "OV")
            #expect(pro.json["price"] as? String == "995.00")
            let hashes = (pro.json["signature_hash_types"] as? [String: Any])?["allowed_hash_types"] as? [[String: Any]]
            #expect(hashes?.compactMap { $0["id"] as? String } == ["sha256", "sha384", "sha512"])
            let client = try await signet.call(.GET, "product/client_digital_signature_plus")
            #expect(client.json["name_id"] as? String == "client_digital_signature_plus_sha2")
            #expect(client.json["group_name"] as? String == "client_certificate")
        }
    }

    @Test("Organizations, containers, the caller and the balance")
    func accountObjects() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(funds: "454.00")
            let organizations = try #require(
                try await signet.call(.GET, "organization").json["organizations"] as? [[String: Any]])
            #expect(organizations.count == 1)
            let organization = try await signet.call(.GET, "organization/\(organizationID)")
            #expect(organization.json["country"] as? String == "us")
            let validations = try #require(organization.json["validations"] as? [[String: Any]])
            #expect(validations.first { $0["type"] as? String == "ov" }?["status"] as? String == "active")
            #expect((organization.json["organization_contact"] as? [String: Any])?["email"] as? String == "jan.sport@example.com")

            let containers = try #require(try await signet.call(.GET, "container").json["containers"] as? [[String: Any]])
            #expect(containers.first?["name"] as? String == "Signet")
            let me = try await signet.call(.GET, "user/me")
            #expect(((me.json["access_roles"] as? [[String: Any]])?.first?["name"]) as? String == "Administrator")

            let balance = try await signet.call(.GET, "finance/balance")
            #expect(balance.json["balance"] as? String == "454.00")
            #expect(balance.json["currency"] as? String == "USD")
            #expect(balance.json["total_available_funds"] as? String == "454.00")
        }
    }

    @Test("Order lists filter, sort and page, with a page object")
    func orderLists() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: ["example.com", "example.net"])
            for name in ["a.example.com", "b.example.com", "c.example.net"] {
                let response = try await signet.call(
                    .POST, "order/certificate/ssl_basic",
                    json: TestData.secureSiteOrder(
                        csr: try TestData.csr(), organizationID: organizationID, commonName: name, dnsNames: []))
                #expect(response.status == .created)
            }
            _ = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(
                    csr: try TestData.csr(), organizationID: organizationID, commonName: "d.example.com", dnsNames: [],
                    skipApproval: false))

            let all = try await signet.call(.GET, "order/certificate")
            #expect((all.json["page"] as? [String: Any])?["total"] as? Int == 4)
            let issued = try await signet.call(.GET, "order/certificate?filters[status]=issued&sort=-order_id&limit=2")
            let orders = try #require(issued.json["orders"] as? [[String: Any]])
            #expect(orders.compactMap { $0["id"] as? Int } == [3, 2])
            #expect((issued.json["page"] as? [String: Any])?["total"] as? Int == 3)
            #expect((issued.json["page"] as? [String: Any])?["limit"] as? Int == 2)
            let second = try await signet.call(.GET, "order/certificate?filters[status]=issued&sort=-order_id&limit=2&offset=2")
            #expect((second.json["orders"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [1])

            let byName = try await signet.call(.GET, "order/certificate?filters[common_name]=c.example.net")
            let found = try #require((byName.json["orders"] as? [[String: Any]])?.first)
            #expect((found["certificate"] as? [String: Any])?["common_name"] as? String == "c.example.net")
            let serial = try #require((found["certificate"] as? [String: Any])?["serial_number"] as? String)
            let bySerial = try await signet.call(.GET, "order/certificate?filters[serial_number]=\(serial.lowercased())")
            #expect((bySerial.json["orders"] as? [[String: Any]])?.first?["id"] as? Int == found["id"] as? Int)
            let needsApproval = try await signet.call(.GET, "order/certificate?filters[status]=needs_approval")
            #expect((needsApproval.json["orders"] as? [[String: Any]])?.count == 1)

            let bySerialInfo = try await signet.call(.GET, "order/certificate/\(serial)")
            #expect(bySerialInfo.json["id"] as? Int == found["id"] as? Int)

            // Every sort key, each way: d, c, b, a by name descending.
            for key in ["order_id", "id", "date_created", "common_name", "status", "product_name_id", "valid_till"] {
                for sort in [key, "-\(key)"] {
                    let sorted = try await signet.call(.GET, "order/certificate?sort=\(sort)")
                    #expect(sorted.status == .ok, "\(sort): \(sorted.text)")
                    #expect((sorted.json["orders"] as? [[String: Any]])?.count == 4, "\(sort)")
                }
            }
            let nameDescending = try #require(
                try await signet.call(.GET, "order/certificate?sort=-common_name").json["orders"] as? [[String: Any]])
            #expect(
                nameDescending.compactMap { ($0["certificate"] as? [String: Any])?["common_name"] as? String }
                    == ["d.example.com", "c.example.net", "b.example.com", "a.example.com"])
        }
    }

    @Test("Each entry of the order list agrees with the order's own details, and escapes what its names hold")
    func orderListEntries() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            // A name with JSON's special characters, a slash and letters outside ASCII.
            let renamed = TestData.organization(name: "Quote \"Q\" \\ Ünïcode/Inc 😀")
            let organization = try await signet.call(.POST, "organization", json: renamed)
            let fancyID = try #require(organization.json["id"] as? Int)
            try await signet.administration.validateOrganization(id: fancyID, level: .ov)
            var orderIDs: [Int] = []
            for (organization, skipApproval) in [(organizationID, true), (fancyID, true), (fancyID, false)] {
                var body = TestData.secureSiteOrder(
                    csr: try TestData.csr(), organizationID: organization, skipApproval: skipApproval)
                body["disable_renewal_notifications"] = organization == fancyID
                let placed = try await signet.call(.POST, "order/certificate/ssl_basic", json: body)
                #expect(placed.status == .created, "\(placed.text)")
                orderIDs.append(try #require(placed.json["id"] as? Int))
            }
            let duplicate = try await signet.call(
                .POST, "order/certificate/\(orderIDs[0])/duplicate", json: try LifecycleTests.reissueBody())
            #expect(duplicate.status == .created, "\(duplicate.text)")

            let list = try await signet.call(.GET, "order/certificate?sort=order_id")
            let entries = try #require(list.json["orders"] as? [[String: Any]])
            #expect(entries.count == 3)
            for (entry, orderID) in zip(entries, orderIDs) {
                let info = try await signet.call(.GET, "order/certificate/\(orderID)").json
                let certificate = try #require(entry["certificate"] as? [String: Any])
                let infoCertificate = try #require(info["certificate"] as? [String: Any])
                #expect(entry["id"] as? Int == orderID)
                for key in ["status", "date_created", "price", "is_renewed", "disable_renewal_notifications"] {
                    #expect(String(describing: entry[key] ?? "-") == String(describing: info[key] ?? "-"), "\(key)")
                }
                #expect(entry["validity_years"] as? Int == 2)
                #expect(entry["product_name_id"] as? String == "ssl_basic")
                #expect((entry["product"] as? [String: Any])?["name_id"] as? String == "ssl_basic")
                #expect((entry["container"] as? [String: Any])?["name"] as? String == "Signet")
                #expect(entry["has_duplicates"] as? Bool == (orderID == orderIDs[0]))
                #expect(entry["disable_renewal_notifications"] as? Bool == (orderID != orderIDs[0]))
                for key in ["id", "common_name", "dns_names", "serial_number", "signature_hash", "valid_till"] {
                    #expect(
                        String(describing: certificate[key] ?? "-") == String(describing: infoCertificate[key] ?? "-"), "\(key)")
                }
                #expect((certificate["days_remaining"] != nil) == (infoCertificate["valid_till"] != nil))
                let organization = try #require(entry["organization"] as? [String: Any])
                #expect(organization["id"] as? Int == (info["organization"] as? [String: Any])?["id"] as? Int)
                #expect(
                    organization["name"] as? String == (orderID == orderIDs[0] ? "Example Inc" : "Quote \"Q\" \\ Ünïcode/Inc 😀"))
            }
            #expect((entries[2]["certificate"] as? [String: Any])?["serial_number"] == nil, "not issued: no serial")
        }
    }

    @Test("Certificate details, chain and every download format with its Content-Type")
    func downloads() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_securesite_pro",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let orderID = try #require(placed.json["id"] as? Int)
            let certificateID = try #require(placed.json["certificate_id"] as? Int)
            let leaf = try #require((placed.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String)

            let details = try await signet.call(.GET, "certificate/\(certificateID)")
            #expect(details.json["status"] as? String == "issued")
            #expect(details.json["order_id"] as? Int == orderID)
            let chain = try #require(
                try await signet.call(.GET, "certificate/\(certificateID)/chain").json["intermediates"] as? [[String: Any]])
            #expect(chain.count == 2)
            #expect((chain.first?["subject_common_name"] as? String)?.hasPrefix("Signet TLS Issuing CA") == true)

            let directory = try Tools.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let expectations: [(String, String, Int?)] = [
                ("default", "application/zip", 3), ("default_pem", "application/zip", 3), ("default_cer", "application/zip", 3),
                ("apache", "application/zip", 2), ("pem_all", "application/x-pem-file", 3),
                ("pem_noroot", "application/x-pem-file", 2), ("pem_nointermediate", "application/x-pem-file", 2),
                ("p7b", "application/x-pkcs7-certificates", 3), ("cer", "application/x-pkcs7-certificates", 3),
            ]
            for (format, type, count) in expectations {
                let response = try await signet.call(.GET, "certificate/\(certificateID)/download/format/\(format)")
                #expect(response.status == .ok, "\(format)")
                #expect(response.headers.contentType?.serialize() == type, "\(format)")
                let file = directory.appendingPathComponent(format)
                try response.body.write(to: file)
                switch type {
                case "application/zip":
                    let listing = try await Tools.run(
                        "python3",
                        [
                            "-c",
                            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; [print(n) for n in z.namelist()]; assert all(z.read(n).startswith(b'-----BEGIN CERTIFICATE-----') for n in z.namelist())",
                            file.path,
                        ])
                    #expect(listing.status == 0, "\(format): \(listing.error)")
                    #expect(listing.output.split(separator: "\n").count == count, "\(format): \(listing.output)")
                case "application/x-pem-file":
                    #expect(response.text.hasPrefix("-----BEGIN CERTIFICATE-----"))
                    #expect(Tools.pemBlocks(response.text).count == count, "\(format)")
                    #expect(Tools.pemBlocks(response.text).first == leaf, "\(format)")
                default:
                    #expect(response.text.hasPrefix("-----BEGIN PKCS7-----"))
                    let printed = try await Tools.run("openssl", ["pkcs7", "-in", file.path, "-print_certs", "-noout"])
                    #expect(printed.status == 0, "\(printed.error)")
                    #expect(printed.output.components(separatedBy: "subject=").count - 1 == count, "\(format): \(printed.output)")
                }
            }
            let zipped = try await signet.call(
                .GET, "certificate/\(certificateID)/download/format/pem_all", headers: [("Accept", "application/zip")])
            #expect(zipped.headers.contentType?.serialize() == "application/zip")
            let byOrder = try await signet.call(.GET, "certificate/download/order/\(orderID)/format/pem_noroot")
            #expect(Tools.pemBlocks(byOrder.text).count == 2)
            let defaultByOrder = try await signet.call(.GET, "certificate/download/order/\(orderID)")
            #expect(defaultByOrder.headers.contentType?.serialize() == "application/zip")
            let platform = try await signet.call(.GET, "certificate/\(certificateID)/download/platform")
            #expect(platform.headers.contentType?.serialize() == "application/zip")
            let unknown = try await signet.call(.GET, "certificate/\(certificateID)/download/format/pfx")
            #expect(unknown.status == .badRequest)
            #expect(unknown.errorCode == "invalid_value:format")

            let issuer = try await signet.call(.GET, "/ca/\(signet.services.authority.issuer(for: .tls).id).crt")
            #expect(issuer.headers.contentType?.serialize() == "application/pkix-cert")
            #expect(issuer.body.count > 300)
        }
    }

    @Test("A certificate that is not issued cannot be downloaded")
    func notIssued() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: false))
            let orderID = try #require(placed.json["id"] as? Int)
            let response = try await signet.call(.GET, "certificate/download/order/\(orderID)/format/pem_all")
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "certificate_not_issued")
        }
    }

    @Test("Users see their container's orders only; administrators see all")
    func containerVisibility() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let child = try await signet.store.write { connection in
                try connection.createContainer(name: "Division", parentID: 1, at: Date())
            }
            let (divisionKey, _) = try await signet.administration.createAPIKey(
                role: .user, name: "division", containerID: child.id)
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID))
            let orderID = try #require(placed.json["id"] as? Int)
            let hidden = try await signet.call(.GET, "order/certificate/\(orderID)", key: divisionKey)
            #expect(hidden.status == .notFound)
            #expect(hidden.errorCode == "not_found|order")
            let list = try await signet.call(.GET, "order/certificate", key: divisionKey)
            #expect((list.json["orders"] as? [Any])?.isEmpty == true)
            let containers = try await signet.call(.GET, "container", key: divisionKey)
            #expect((containers.json["containers"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [child.id])
        }
    }

    @Test("seed-orders' copies are listed like the order they copy, and charge nothing")
    func seededCopies() async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            let placed = try await signet.call(
                .POST, "order/certificate/ssl_basic",
                json: TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID, dnsNames: []))
            let orderID = try #require(placed.json["id"] as? Int)
            let balance = try await signet.balance()
            #expect(try await signet.administration.seedCopies(ofOrder: orderID, count: 2_500) == 2_500)

            let page = try await signet.call(.GET, "order/certificate?limit=100&filters[status]=issued&sort=-order_id")
            #expect((page.json["page"] as? [String: Any])?["total"] as? Int == 2_501)
            let orders = try #require(page.json["orders"] as? [[String: Any]])
            #expect(orders.count == 100)
            #expect(orders.first?["id"] as? Int == orderID + 2_500)
            let serials = Set(orders.compactMap { ($0["certificate"] as? [String: Any])?["serial_number"] as? String })
            #expect(serials.count == 1, "the copies share the template's certificate")
            #expect(try await signet.balance() == balance)
            await #expect(throws: (any Error).self) { try await signet.administration.seedCopies(ofOrder: 999_999, count: 1) }
        }
    }
}
