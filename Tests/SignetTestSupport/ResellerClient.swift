import Foundation
import Testing

/// Calls the reseller API through `Fixtures/reseller.py`, which signs as reseller.md describes.
struct ResellerClient: Sendable {
    let base: String
    let accessKey: String
    let secret: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SignetTests/Fixtures/reseller.py").path

    struct Answer: Sendable {
        let status: Int
        let text: String

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var success: Bool { json["success"] as? Bool ?? false }
        var message: String { json["message"] as? String ?? "" }
        var fieldErrors: [String: Any] { json["errors"] as? [String: Any] ?? [:] }
    }

    private func arguments(_ path: String, _ method: String, _ body: [String: Any], options: [String: String]) throws -> [String]
    {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return [Self.script, "call", base, "/api/v1/" + path, method, accessKey, secret, json]
            + options.flatMap { ["--\($0.key)", $0.value] }
    }

    func call(
        _ path: String, method: String = "POST", _ body: [String: Any] = [:], style: String = "sdk", timestamp: String? = nil,
        nonce: String? = nil
    ) async throws -> Answer {
        var options = ["style": style]
        if let timestamp { options["timestamp"] = timestamp }
        if let nonce { options["nonce"] = nonce }
        let result = try await Tools.run("python3", try arguments(path, method, body, options: options))
        guard let outer = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any] else {
            Issue.record("reseller.py failed: \(result.output) \(result.error)")
            return Answer(status: 0, text: "")
        }
        let body = outer["body"].flatMap { try? JSONSerialization.data(withJSONObject: $0) }.map {
            String(decoding: $0, as: UTF8.self)
        }
        return Answer(status: outer["status"] as? Int ?? 0, text: body ?? "\(outer["body"] ?? "")")
    }

    /// `count` identical calls sent at the same moment (each with its own nonce and signature).
    func burst(_ path: String, _ body: [String: Any], count: Int) async throws -> [Answer] {
        let result = try await Tools.run("python3", try arguments(path, "POST", body, options: ["repeat": String(count)]))
        guard let list = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [[String: Any]] else {
            Issue.record("reseller.py burst failed: \(result.output) \(result.error)")
            return []
        }
        return list.map { item in
            let body = item["body"].flatMap { try? JSONSerialization.data(withJSONObject: $0) }.map {
                String(decoding: $0, as: UTF8.self)
            }
            return Answer(status: item["status"] as? Int ?? 0, text: body ?? "")
        }
    }
}

/// A notify_url receiver on loopback (`reseller.py receiver`): verifies each callback's signature
/// with the reseller's secret, answers 500 to the first `failFirst` calls and 200 after.
final class CallbackReceiver: Sendable {
    let port: Int
    let log: URL
    let process: ChildProcess

    init(secret: String, failFirst: Int) async throws {
        log = try Tools.temporaryDirectory().appendingPathComponent("callbacks.jsonl")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        (process, port) = try await Tools.startPortPrintingServer(
            [ResellerClient.script, "receiver", secret, log.path, String(failFirst)],
            failure: "the callback receiver did not start")
    }

    var url: String { "http://127.0.0.1:\(port)/order/6163/callback?tenant=t1" }

    /// What arrived so far, one entry per call.
    var calls: [[String: Any]] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    func stop() {
        Tools.kill(process)
        try? FileManager.default.removeItem(at: log.deletingLastPathComponent())
    }
}
