import Foundation
import Testing

/// A real HTTP server on loopback for HTTP validation (Python's http.server), serving files by
/// Host: `<root>/<host>/<path>`. A sibling `<file>.redirect` answers 302 to its content; a
/// sibling `<file>.sleep` waits that many seconds before answering. With `tls`, it speaks HTTPS
/// with a self-signed certificate. Each request's Host header is logged beside its path.
final class TestWebServer: Sendable {
    let root: URL
    let port: Int
    let process: ChildProcess
    /// The self-signed certificate and key of a TLS server, outside the served root.
    let certificateFolder: URL?

    private static let script = #"""
        import http.server, os, socketserver, sys, time
        root = sys.argv[1]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                with open(os.path.join(root, "requests.log"), "a") as log:
                    log.write(host + self.path + "\n")
                with open(os.path.join(root, "hosts.log"), "a") as log:
                    log.write((self.headers.get("Host") or "") + "\n")
                path = os.path.normpath(os.path.join(root, host, self.path.split("?")[0].lstrip("/")))
                if not path.startswith(root):
                    self.send_error(403); return
                if os.path.exists(path + ".sleep"):
                    time.sleep(float(open(path + ".sleep").read()))
                if os.path.exists(path + ".redirect"):
                    self.send_response(302); self.send_header("Location", open(path + ".redirect").read().strip())
                    self.send_header("Content-Length", "0"); self.end_headers(); return
                if not os.path.isfile(path):
                    self.send_error(404); return
                data = open(path, "rb").read()
                self.send_response(200); self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
            def log_message(self, *args):
                pass
        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
        server = Server(("127.0.0.1", 0), Handler)
        if len(sys.argv) > 3:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    init(tls: Bool = false) async throws {
        root = try Tools.temporaryDirectory().resolvingSymlinksInPath()
        var arguments = ["-c", Self.script, root.path]
        certificateFolder = tls ? try Tools.temporaryDirectory() : nil
        if let folder = certificateFolder {
            let (certificate, key) = (
                folder.appendingPathComponent("server.pem").path, folder.appendingPathComponent("key.pem").path
            )
            try await Tools.run(
                "openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=test web",
                    "-days", "1", "-keyout", key, "-out", certificate,
                ])
            arguments += [certificate, key]
        }
        (process, port) = try await Tools.startPortPrintingServer(arguments, failure: "the Python web server did not start")
    }

    /// Serves `contents` at `path` for `host`; `suffix` writes the `.redirect` or `.sleep` sibling instead.
    func serve(_ contents: String, host: String, path: String, suffix: String = "") throws {
        let file = root.appendingPathComponent(host).appendingPathComponent(
            path.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + suffix)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: file, atomically: true, encoding: .utf8)
    }

    /// Every request received so far, as `host/path`.
    var requests: [String] { lines(of: "requests.log") }

    /// The Host header of every request received so far.
    var hostHeaders: [String] { lines(of: "hosts.log") }

    private func lines(of log: String) -> [String] {
        ((try? String(contentsOf: root.appendingPathComponent(log), encoding: .utf8)) ?? "").split(separator: "\n")
            .map(String.init)
    }

    func stop() {
        Tools.kill(process)
        try? FileManager.default.removeItem(at: root)
        if let certificateFolder { try? FileManager.default.removeItem(at: certificateFolder) }
    }
}

/// A real SMTP server on loopback that stores what it receives in a Maildir (aiosmtpd).
final class TestSMTPSink: Sendable {
    let port: Int
    let mailbox: URL
    let process: ChildProcess

    init() async throws {
        let directory = try Tools.temporaryDirectory()
        mailbox = directory.appendingPathComponent("maildir")
        var lastProcess: ChildProcess?
        for _ in 0..<5 {
            let port = try SignetProcess.freePort()
            let process = try ChildProcess([
                "python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", mailbox.path,
            ])
            for _ in 0..<50 {
                try await Task.sleep(nanoseconds: 100_000_000)
                guard process.isRunning else { break }
                let probe = try await Tools.run(
                    "python3", ["-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1).close()"], timeout: 30)
                if probe.status == 0 {
                    self.port = port
                    self.process = process
                    return
                }
            }
            process.terminate()
            lastProcess = process
        }
        _ = lastProcess
        throw TestDNSError.missing("aiosmtpd did not start (pip install aiosmtpd; .ci/run does)")
    }

    var url: String { "smtp://127.0.0.1:\(port)" }

    /// Everything received so far, as text.
    var received: String {
        let folder = mailbox.appendingPathComponent("new")
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    func stop() {
        Tools.kill(process)
        try? FileManager.default.removeItem(at: mailbox.deletingLastPathComponent())
    }
}
