import Foundation
import Testing

/// `signet serve --ephemeral --port 0`, started as a suite would start it: the ready line read
/// from its standard output (docs/test-double.md).
final class EphemeralSignet: @unchecked Sendable {
    let process: ChildProcess
    /// The ready line, parsed.
    let report: [String: Any]
    let log: URL

    var url: String { report["url"] as? String ?? "" }
    var adminKey: String { report["admin_api_key"] as? String ?? "" }
    var data: String { report["data"] as? String ?? "" }

    init(_ arguments: [String] = []) async throws {
        let output = try ChildPipe()
        log = try Tools.temporaryDirectory().appendingPathComponent("ephemeral.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process = try ChildProcess(
            [
                SignetProcess.binary.path, "serve", "--ephemeral", "--port", "0", "--dns-server",
                try TestDNS.shared.server.description,
            ]
                + arguments, standardOutput: .output(output), standardError: .descriptor(handle.fileDescriptor))
        let line = await Tools.firstLine(of: output, within: 60)
        guard let parsed = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            Tools.kill(process)
            throw TestDNSError.missing(
                "no ready line from signet serve --ephemeral: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        report = parsed
    }

    /// A client of the management API and the dialects, with the administrator's key.
    var admin: LiveClient { LiveClient(base: url, key: adminKey) }

    /// SIGTERM, and waits until the process has ended (SIGKILL after ten seconds).
    func stop() async {
        process.terminate()
        await process.waitForExit(within: 10)
        Tools.kill(process)
        await process.waitForExit(within: 5)
    }
}
