import Foundation
import Testing

/// pkilint, the tests' oracle for certificates, CRLs and OCSP responses: many documents judged in
/// one Python process (Fixtures/lint_many.py runs pkilint's own command-line linters).
enum PKIJudge {
    struct Document {
        /// `lint_cabf_serverauth_cert`, `lint_cabf_smime_cert`, `lint_pkix_cert`, `lint_crl`, `lint_ocsp_response`.
        let linter: String
        let arguments: [String]
        /// PEM text, or DER bytes.
        let contents: Data
        /// What the test calls it, for messages.
        let label: String
    }

    struct Report {
        let label: String
        let errors: [String]
        let warnings: [String]
        let output: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SignetTests/Fixtures/lint_many.py").path

    /// Lints every document; a report per document, in order.
    static func judge(_ documents: [Document]) async throws -> [Report] {
        guard !documents.isEmpty else { return [] }
        let directory = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines: [String] = []
        for (index, document) in documents.enumerated() {
            let file = directory.appendingPathComponent("document-\(index)")
            try document.contents.write(to: file)
            let line = try JSONSerialization.data(withJSONObject: [
                "linter": document.linter, "args": document.arguments, "path": file.path,
            ])
            lines.append(String(decoding: line, as: UTF8.self))
        }
        let cases = directory.appendingPathComponent("cases.jsonl")
        try lines.joined(separator: "\n").write(to: cases, atomically: true, encoding: .utf8)
        let result = try await Tools.run("python3", [script, cases.path], timeout: 600)
        #expect(!result.error.contains("Traceback"), "pkilint failed: \(result.error)")
        let outputs = result.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(outputs.count == documents.count, "pkilint answered \(outputs.count) of \(documents.count): \(result.error)")
        return zip(documents, outputs).map { document, output in
            let text = output["output"] as? String ?? ""
            let findings = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return Report(
                label: document.label,
                errors: findings.filter { $0.contains("(ERROR)") || $0.contains("(FATAL)") },
                warnings: findings.filter { $0.contains("(WARNING)") }, output: text)
        }
    }

    /// The linter for a subscriber certificate of `product`.
    static func linter(forProduct product: String) -> (String, [String]) {
        if product.hasPrefix("ssl") || product.hasPrefix("wildcard") { return ("lint_cabf_serverauth_cert", ["-d"]) }
        if product.hasPrefix("client_authentication") { return ("lint_pkix_cert", []) }
        return ("lint_cabf_smime_cert", ["-d"])
    }
}
