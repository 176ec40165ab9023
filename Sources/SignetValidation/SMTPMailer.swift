import Foundation
import NIOCore
import NIOPosix

/// A message to send.
public struct MailMessage: Sendable, Equatable {
    public let from: String
    public let to: String
    public let subject: String
    public let body: String

    public init(from: String, to: String, subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Why a message could not be handed to the SMTP server.
public enum SMTPError: Error, Sendable, Equatable {
    case badURL(String)
    case rejected(step: String, reply: String)
    case connection(String)
    case timeout
}

/// A minimal SMTP client (RFC 5321): EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT. It talks
/// to a relay such as the local MTA or a test sink (`--smtp-url smtp://HOST:PORT`); it does not
/// authenticate or use TLS.
public struct SMTPMailer: Sendable {
    public let host: String
    public let port: Int
    public let heloName: String
    public let timeout: TimeInterval

    /// From `smtp://HOST[:PORT]`.
    public init(url: String, heloName: String = "signet", timeout: TimeInterval = 10) throws {
        guard let parsed = URLComponents(string: url), parsed.scheme == "smtp", let host = parsed.host, !host.isEmpty else {
            throw SMTPError.badURL(url)
        }
        self.host = host
        self.port = parsed.port ?? 25
        self.heloName = heloName
        self.timeout = timeout
    }

    public func send(_ message: MailMessage) async throws {
        try await withTimeout(timeout, error: SMTPError.timeout) { try await exchange(message) }
    }

    private func exchange(_ message: MailMessage) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.connection("\(host):\(port): \(error)")
        }
        try await closingOnCancel(channel.channel) {
            try await channel.executeThenClose { inbound, outbound in
                var replies = ReplyReader(inbound: inbound.makeAsyncIterator())
                func expect(_ step: String, _ codes: Set<Int>) async throws {
                    let (code, text) = try await replies.next()
                    guard codes.contains(code) else { throw SMTPError.rejected(step: step, reply: "\(code) \(text)") }
                }
                func send(_ line: String) async throws { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
                try await expect("greeting", [220])
                try await send("EHLO \(heloName)")
                try await expect("EHLO", [250])
                try await send("MAIL FROM:<\(message.from)>")
                try await expect("MAIL", [250])
                try await send("RCPT TO:<\(message.to)>")
                try await expect("RCPT", [250, 251])
                try await send("DATA")
                try await expect("DATA", [354])
                try await outbound.write(ByteBuffer(string: Self.render(message)))
                try await expect("message", [250])
                try await send("QUIT")
                _ = try? await replies.next()
            }
        }
    }

    /// Headers and body with CRLF line ends, lines starting with "." doubled, and the final ".".
    static func render(_ message: MailMessage) -> String {
        let date = Date().formatted(.iso8601)
        var lines = [
            "From: \(message.from)", "To: \(message.to)", "Subject: \(message.subject)", "Date: \(date)",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "",
        ]
        lines += message.body.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false
        )
        .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        return lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// Reads SMTP replies, joining multi-line ones ("250-…" until "250 …").
    struct ReplyReader {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending = ""

        mutating func next() async throws -> (Int, String) {
            var text: [String] = []
            while true {
                while let newline = pending.range(of: "\r\n") ?? pending.range(of: "\n") {
                    let line = String(pending[..<newline.lowerBound])
                    pending = String(pending[newline.upperBound...])
                    guard line.count >= 3, let code = Int(line.prefix(3)) else {
                        throw SMTPError.connection("bad reply '\(line)'")
                    }
                    text.append(String(line.dropFirst(4)))
                    if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                        return (code, text.joined(separator: " "))
                    }
                }
                guard let chunk = try await inbound.next() else { throw SMTPError.connection("the server closed the connection") }
                pending += String(decoding: chunk.readableBytesView, as: UTF8.self)
                guard pending.count < 64_000 else { throw SMTPError.connection("reply too long") }
            }
        }
    }
}
