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

/// E-mail validation through a real SMTP sink (aiosmtpd) and the outbox, and the domains API.
@Suite("E-mail validation and domains")
struct DCVEmailTests {
    /// The validation link codes in a text (mbox or outbox body).
    static func codes(in text: String) -> [String] {
        text.components(separatedBy: "/dcv/email/").dropFirst().map { String($0.prefix(32)) }
    }

    @Test("E-mail DCV: messages go through SMTP to the constructed addresses; following a link validates and issues")
    func emailThroughSMTP() async throws {
        let sink = try await TestSMTPSink()
        defer { sink.stop() }
        let zone = TestDNS.uniqueZone()
        try await withSignet(configure: { $0.smtpURL = sink.url }) { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await DCVTests.order(signet, organizationID: organizationID, names: ["www.\(zone)"], method: nil)
            #expect(placed.status == .created)
            let orderID = try #require(placed.json["id"] as? Int)
            var received = ""
            try await Tools.eventually(within: 30) {
                received = sink.received
                return Self.codes(in: received).count >= 5
            }
            for local in ApproverEmail.localParts { #expect(received.contains("To: \(local)@\(zone)"), "\(local)") }
            #expect(received.contains("Subject: Domain control validation for www.\(zone)"))
            let code = try #require(Self.codes(in: received).first)

            let check = try await signet.call(.PUT, "order/certificate/\(orderID)/check-dcv")
            #expect(check.status == .ok)
            #expect(check.json["dcv_status"] as? String == "pending")

            let outbox = try #require(try await signet.call(.GET, "outbox").json["messages"] as? [[String: Any]])
            #expect(outbox.count == 5)
            #expect(outbox.allSatisfy { $0["sent_at"] is String })

            // Opening the link (as a mail scanner would, with GET or HEAD) shows what it approves and validates nothing.
            let opened = try await signet.call(.GET, "/dcv/email/\(code)")
            #expect(opened.status == .ok)
            #expect(
                opened.text.contains("Confirm control of \(zone)") && opened.text.contains("order \(orderID)"), "\(opened.text)")
            #expect(opened.text.contains("<form method=\"post\" action=\"/dcv/email/\(code)\">"))
            #expect(try await signet.call(.HEAD, "/dcv/email/\(code)").status == .ok)
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(try await DCVTests.status(signet, orderID) == "pending", "opening the link must not validate")
            let domainsBefore = try #require(try await signet.call(.GET, "domain").json["domains"] as? [[String: Any]])
            #expect(!domainsBefore.contains { $0["name"] as? String == zone && $0["status"] as? String == "active" })

            let followed = try await signet.call(.POST, "/dcv/email/\(code)")
            #expect(followed.status == .ok)
            #expect(followed.text.contains("control of <b>\(zone)</b> is validated"), "\(followed.text)")
            #expect(try await signet.call(.POST, "/dcv/email/\(code)").status == .notFound, "a code validates once")
            #expect(try await signet.call(.GET, "/dcv/email/\(code)").status == .notFound, "a used link is gone")
            var status = ""
            try await Tools.eventually(within: 30) {
                status = try await DCVTests.status(signet, orderID) ?? ""
                return status == "issued"
            }
            #expect(status == "issued")
            #expect(try await signet.call(.GET, "/dcv/email/unknowncode").status == .notFound)

            let other = try await DCVTests.order(signet, organizationID: organizationID, names: ["mail.\(zone)"], method: nil)
            #expect((other.json["certificate_chain"] as? [Any])?.count == 3, "the base domain is validated now")
        }
    }

    @Test("Without SMTP the outbox holds the messages; resend-emails checks the approver addresses")
    func outboxAndResend() async throws {
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let placed = try await DCVTests.order(
                signet, organizationID: organizationID, names: ["shop.\(zone)"], method: "email")
            let orderID = try #require(placed.json["id"] as? Int)
            let messages = try #require(try await signet.call(.GET, "outbox").json["messages"] as? [[String: Any]])
            #expect(messages.count == 5)
            #expect(messages.allSatisfy { $0["sent_at"] == nil })

            let bad = try await signet.call(
                .PUT, "order/certificate/\(orderID)/resend-emails",
                json: ["domain_approval_emails": [["domain": "shop.\(zone)", "email": "ceo@\(zone)"]]])
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == "invalid_value:domain_approval_emails")
            let good = try await signet.call(
                .PUT, "order/certificate/\(orderID)/resend-emails",
                json: ["domain_approval_emails": [["domain": "shop.\(zone)", "email": "webmaster@shop.\(zone)"]]])
            #expect(good.status == .noContent)
            let after = try #require(try await signet.call(.GET, "outbox?limit=1").json["messages"] as? [[String: Any]])
            #expect(after.first?["to"] as? String == "webmaster@shop.\(zone)")

            let (userKey, _) = try await signet.administration.createAPIKey(role: .user, name: "reader")
            #expect(try await signet.call(.GET, "outbox", key: userKey).errorCode == "access_denied|missing_permission")

            let switched = try await signet.call(
                .PUT, "order/certificate/\(orderID)/dcv-method", json: ["dcv_method": "dns-txt-token"])
            #expect(switched.status == .ok)
            let notEmail = try await signet.call(.PUT, "order/certificate/\(orderID)/resend-emails", json: [:])
            #expect(notEmail.errorCode == "invalid_dcv_method")
            let back = try await signet.call(.PUT, "order/certificate/\(orderID)/dcv-method", json: ["dcv_method": "email"])
            #expect(back.status == .noContent)
            #expect((try await signet.call(.GET, "outbox?limit=50").json["messages"] as? [Any])?.count == 11)
        }
    }

    @Test("Domains API: add with a DNS token, validate it, reuse it; bad names and methods refused")
    func domainsAPI() async throws {
        let dns = try TestDNS.shared
        let zone = TestDNS.uniqueZone()
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount(domains: [])
            let added = try await signet.call(
                .POST, "domain",
                json: ["name": "www.\(zone)", "dcv_method": "dns-txt-token", "organization": ["id": organizationID]])
            #expect(added.status == .created, "\(added.text)")
            let domainID = try #require(added.json["id"] as? Int)
            let token = try #require((added.json["dcv_token"] as? [String: Any])?["token"] as? String)
            let info = try await signet.call(.GET, "domain/\(domainID)")
            #expect(info.json["name"] as? String == zone, "a leading www. is dropped")
            #expect(info.json["status"] as? String == "pending")
            #expect(info.json["is_pending_validation"] as? Bool == true)

            let early = try await signet.call(.PUT, "domain/\(domainID)/dcv/validate-token")
            #expect(early.errorCode == "invalid_dns_txt")
            try await dns.add(["_dnsauth.\(zone). TXT \(token)"])
            let validated = try await signet.call(.PUT, "domain/\(domainID)/dcv/validate-token")
            #expect(validated.status == .ok, "\(validated.text)")
            #expect(validated.json["status"] as? String == "active")
            let active = try await signet.call(.GET, "domain/\(domainID)")
            #expect(active.json["status"] as? String == "active")
            #expect(active.json["dcv_expiration_datetime"] is String)

            let reuse = try await DCVTests.order(signet, organizationID: organizationID, names: ["api.\(zone)"], method: nil)
            #expect((reuse.json["certificate_chain"] as? [Any])?.count == 3)

            let cases: [([String: Any], String)] = [
                (["name": "bad name.\(zone)"], "invalid_dns_name|bad name.\(zone)"),
                (["name": "*.\(zone)"], "invalid_dns_name|*.\(zone)"),
                (["name": zone], "duplicate_domain|\(zone)"),
                (["name": "other.\(zone)", "dcv_method": "pigeon"], "invalid_dcv_method"),
                (["dcv_method": "email"], "missing_field:name"),
            ]
            for (body, code) in cases {
                let refused = try await signet.call(.POST, "domain", json: body)
                #expect(refused.errorCode == code, "\(body): \(refused.text)")
            }
            #expect(try await signet.call(.GET, "domain/999").errorCode == "not_found|domain")

            let emails = try await signet.call(.GET, "domain/\(domainID)/dcv/emails")
            #expect((emails.json["base_emails"] as? [String])?.contains("admin@\(zone)") == true)
            let wrongAddress = try await signet.call(
                .PUT, "domain/\(domainID)/dcv/emails", json: ["email_array": ["boss@elsewhere.org"]])
            #expect(wrongAddress.errorCode == "invalid_value:email_array")
            let method = try await signet.call(.PUT, "domain/\(domainID)/dcv/method", json: ["dcv_method": "dns-cname-token"])
            #expect((method.json["dcv_token"] as? [String: Any])?["verification_value"] as? String == "dcv.signet.test")
            let newToken = try await signet.call(.POST, "domain/\(domainID)/dcv/token")
            #expect((newToken.json["token"] as? String)?.count == 32)

            #expect(try await signet.call(.PUT, "domain/\(domainID)/deactivate").status == .noContent)
            let inactive = try await DCVTests.order(signet, organizationID: organizationID, names: ["api2.\(zone)"], method: nil)
            #expect(inactive.json["certificate_chain"] == nil, "a deactivated domain does not count")
            #expect(try await signet.call(.PUT, "domain/\(domainID)/activate").status == .noContent)
            #expect(try await signet.call(.DELETE, "domain/\(domainID)").status == .noContent)
            #expect(try await signet.call(.GET, "domain/\(domainID)").errorCode == "not_found|domain")
        }
    }
}
