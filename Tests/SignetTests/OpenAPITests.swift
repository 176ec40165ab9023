import Foundation
import Testing

@testable import SignetTestSupport

/// The CertCentral dialect's OpenAPI document (docs/openapi-certcentral.json): it names every
/// route and only routes that exist, the server serves it as committed, and schemathesis finds
/// no 5xx and no answer that breaks it.
@Suite("OpenAPI")
struct OpenAPITests {
    static let documentFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi-certcentral.json")

    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: documentFile)) as? [String: Any])
    }

    @Test("Every CertCentral route is in the document, and every operation in it is a route; the server serves it as committed")
    func routesAndDocumentAgree() async throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        try await withSignet { signet in
            let routes = Set(
                signet.app.routes.all.compactMap { route -> String? in
                    let components = route.path.map(\.description)
                    guard components.starts(with: ["services", "v2"]) else { return nil }
                    let path = components.dropFirst(2).map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }
                    return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
                })
            #expect(routes.count > 40)
            #expect(
                routes.subtracting(documented).isEmpty,
                "routes missing from the document: \(routes.subtracting(documented).sorted())")
            #expect(
                documented.subtracting(routes).isEmpty, "documented but not served: \(documented.subtracting(routes).sorted())")

            let served = try await signet.call(.GET, "/openapi/certcentral.json", key: .some(nil))
            #expect(served.status == .ok)
            let parsed = try #require(try JSONSerialization.jsonObject(with: served.body) as? NSDictionary)
            #expect(parsed == document as NSDictionary, "scripts/embed-openapi writes what the server serves")
        }
    }

    @Test("schemathesis against a running Signet: no 5xx, no answer that breaks the document")
    func schemathesis() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let signet = try SignetProcess(data: root.appendingPathComponent("data"), arguments: ["--dcv", "always-valid"])
        defer { signet.stop() }
        try await signet.waitUntilServing()
        #expect(try await signet.administer(["balance", "add", "100000"]).status == 0)
        let result = try await Tools.run(
            "st",
            [
                "run", Self.documentFile.path, "--url", signet.base + "/services/v2", "-H", "X-DC-DEVKEY: \(try signet.adminKey)",
                "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", "10", "--workers", "2",
                "--no-color", "--generation-deterministic", "--request-timeout", "30",
            ], in: root, timeout: 600)
        let summary = result.output.components(separatedBy: "SUMMARY").last ?? result.output
        #expect(result.status == 0, "schemathesis: \(summary.suffix(4000)) \(result.error.suffix(2000))")
        #expect(result.output.contains("passed") && !result.output.contains(" failed"), "\(summary.suffix(4000))")
        #expect(!signet.output.contains("unexpected error"), "the server logged no failure of its own")
    }
}
