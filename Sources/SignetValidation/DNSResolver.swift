import Foundation
import NIOCore
import NIOPosix

/// Answers DNS questions. The seam where tests point Signet at a loopback DNS server.
public protocol DNSResolver: Sendable {
    func query(_ name: String, type: DNSRecordType) async throws -> DNSResponse
}

/// A recursive name server to ask: from `/etc/resolv.conf` by default, or `--dns-server HOST:PORT`.
public struct NameServer: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int = 53) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST`, `HOST:PORT` or `[IPv6]:PORT`.
    public init?(_ text: String) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":"), let port = rest.isEmpty ? 53 : Int(rest.dropFirst()) else { return nil }
            self.init(host: host, port: port)
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
            self.init(host: String(text[..<colon]), port: port)
        } else {
            guard !text.isEmpty else { return nil }
            self.init(host: text, port: 53)
        }
    }

    /// The first `nameserver` of a resolv.conf file, or 127.0.0.1 when there is none.
    public static func fromResolvConf(_ path: String = "/etc/resolv.conf") -> NameServer {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0] == "nameserver" { return NameServer(host: String(fields[1])) }
        }
        return NameServer(host: "127.0.0.1")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A stub resolver client: UDP first, TCP when the answer is truncated (RFC 7766), every
/// exchange bounded in time so that no check can hang a request.
public struct NetworkDNSResolver: DNSResolver {
    public let server: NameServer
    public let timeout: TimeInterval
    public let attempts: Int

    public init(server: NameServer, timeout: TimeInterval = 2, attempts: Int = 2) {
        self.server = server
        self.timeout = timeout
        self.attempts = attempts
    }

    public func query(_ name: String, type: DNSRecordType) async throws -> DNSResponse {
        var lastError: any Error = DNSError.timeout
        for _ in 0..<attempts {
            let id = UInt16.random(in: 0...UInt16.max)
            let message = try DNSMessage.query(id: id, name: name, type: type)
            do {
                let response = try await DatagramExchange.ask(
                    message, id: id, server: try SocketAddress(ipAddress: server.host, port: server.port), timeout: timeout)
                if !response.isTruncated { return response }
                return try await withTimeout(timeout) { try await tcpExchange(message, id: id) }
            } catch let error as DNSError where error == .timeout {
                lastError = error
            } catch let error as DNSError {
                throw error
            } catch {
                lastError = DNSError.unreachable("\(server): \(error)")
            }
        }
        throw lastError
    }

    private func tcpExchange(_ message: [UInt8], id: UInt16) async throws -> DNSResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: server.host, port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await closingOnCancel(channel.channel) {
            try await channel.executeThenClose { inbound, outbound in
                var framed: [UInt8] = []
                framed.appendUInt16(UInt16(message.count))
                try await outbound.write(ByteBuffer(bytes: framed + message))
                var received: [UInt8] = []
                for try await chunk in inbound {
                    received += chunk.readableBytesView
                    guard received.count >= 2 else { continue }
                    let length = Int(received[0]) << 8 | Int(received[1])
                    if received.count >= 2 + length {
                        return try DNSMessage.parse(Array(received[2..<2 + length]), expectedID: id)
                    }
                    guard received.count < 70_000 else { throw DNSError.malformedResponse("oversized TCP answer") }
                }
                throw DNSError.malformedResponse("\(server) closed the TCP connection early")
            }
        }
    }
}

/// Runs `body`, closing `channel` if the task is cancelled: a cancelled wait on an inbound
/// stream then ends at once instead of holding its task (and a timeout's task group) forever.
func closingOnCancel<T: Sendable>(_ channel: any Channel, _ body: () async throws -> T) async throws -> T {
    try await withTaskCancellationHandler(operation: body, onCancel: { channel.close(promise: nil) })
}

/// Runs `body`, failing with `DNSError.timeout` (or the caller's error) when it takes longer than `seconds`.
func withTimeout<T: Sendable>(
    _ seconds: TimeInterval, error: any Error = DNSError.timeout, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw error
        }
        defer { group.cancelAll() }
        // Both tasks end by returning or throwing, so the first to end always gives a result.
        guard let first = try await group.next() else { throw error }
        return first
    }
}
