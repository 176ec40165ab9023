import Foundation
import SignetCore
import Testing

@testable import SignetTestSupport

/// pkilint (PyPI) judges issued certificates against the CA/Browser Forum profiles.
@Suite("pkilint")
struct LintTests {
    /// Findings at ERROR or FATAL in pkilint's text output.
    static func lint(_ tool: String, _ pem: String, arguments: [String] = ["-d"]) async throws -> [String] {
        let directory = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("certificate.pem")
        try pem.write(to: file, atomically: true, encoding: .utf8)
        let result = try await Tools.run(tool, ["lint"] + arguments + [file.path])
        #expect(
            !result.error.contains("command not found") && !result.error.contains("No such file"),
            "\(tool) is missing: pip install pkilint (.ci/run does)")
        #expect(result.error.isEmpty || !result.error.contains("Traceback"), "\(tool) failed: \(result.error)")
        return result.output.split(separator: "\n").map(String.init).filter { $0.contains("(ERROR)") || $0.contains("(FATAL)") }
    }

    @Test(
        "TLS certificates at DV, OV and EV have no pkilint errors", arguments: ["ssl_dv_geotrust", "ssl_basic", "ssl_ev_basic"])
    func tlsProfiles(product: String) async throws {
        // A DV order counts no prevalidated domain (DigiCert's DV rules): the lint needs its certificate at once.
        try await withSignet(dcv: product == "ssl_dv_geotrust" ? .alwaysValid : .checked) { signet in
            let organizationID = try await signet.prepareAccount(level: .ev)
            var body = TestData.secureSiteOrder(csr: try TestData.csr(), organizationID: organizationID)
            if product == "ssl_dv_geotrust" { body["organization"] = nil }
            let response = try await signet.call(.POST, "order/certificate/\(product)", json: body)
            #expect(response.status == .created, "\(response.text)")
            let leaf = try #require((response.json["certificate_chain"] as? [[String: Any]])?.first?["pem"] as? String)
            let findings = try await Self.lint("lint_cabf_serverauth_cert", leaf)
            #expect(findings.isEmpty, "\(product): \(findings)")
        }
    }

    @Test(
        "S/MIME client certificates have no pkilint errors",
        arguments: ["client_premium", "client_email_security_plus", "client_digital_signature_plus"])
    func smimeProfile(product: String) async throws {
        try await withSignet { signet in
            let organizationID = try await signet.prepareAccount()
            var body = TestData.clientOrder(csr: try TestData.csr(), organizationID: organizationID, skipApproval: true)
            // A mailbox-validated subject names the mailbox; a sponsor-validated one the person, from explicit fields.
            let names: [String: Any] =
                product == "client_email_security_plus"
                ? ["common_name": "locke.cole@example.com", "first_name": NSNull(), "last_name": NSNull()]
                : ["common_name": "Locke Cole", "first_name": "Locke", "last_name": "Cole"]
            body["certificate"] = (body["certificate"] as? [String: Any] ?? [:]).merging(names) { $1 }
            let response = try await signet.call(.POST, "order/certificate/\(product)", json: body)
            let certificateID = try #require(response.json["certificate_id"] as? Int, "\(response.text)")
            let pem = try await signet.call(.GET, "certificate/\(certificateID)/download/format/pem_noroot").text
            let findings = try await Self.lint("lint_cabf_smime_cert", Tools.pemBlocks(pem)[0])
            #expect(findings.isEmpty, "\(product): \(findings)")
        }
    }
}
