import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SignetCore

/// One HTTP/1.1 GET on a connection of its own to exactly one address, the name kept for the
/// `Host` header and SNI: the transport of ``WebFetcher``, which has checked that address.
///
/// It is a handful of NIO handlers, not an HTTP client: a validation makes one request to a
/// host it will not see again, so a client's pool, its resolver (a `getaddrinfo` thread even for
/// an address) and its shutdown were all cost and no use.
enum PinnedFetch {
    struct Answer: Sendable {
        let status: Int
        let location: String?
        /// The start of a 2xx answer's body (at most the fetch's `maximumBytes`); empty otherwise.
        let body: String
    }

    /// TLS for https fetches: the certificate is not judged (a site may validate before it has one).
    static func makeTLSContext() -> NIOSSLContext? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try? NIOSSLContext(configuration: configuration)
    }

    static func get(
        address: IPAddress, port: Int, host: String, path: String, tls: NIOSSLContext?, timeout: TimeInterval,
        maximumBytes: Int
    ) async throws -> Answer {
        // The request line carries the path as it is: visible ASCII only, so nothing can end it early.
        guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw WebFetchFailure.connection("'\(path)' is not a request path")
        }
        let target = try SocketAddress(ipAddress: address.description, port: port)
        // An IP address is no server name: SNI carries DNS names only (RFC 6066 3).
        let serverName = CertificateNames.isIPAddress(host) ? nil : host
        let defaultPort = tls == nil ? 80 : 443
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: (host.contains(":") ? "[\(host)]" : host) + (port == defaultPort ? "" : ":\(port)"))
        head.headers.add(name: "User-Agent", value: "Signet DCV")
        head.headers.add(name: "Accept", value: "*/*")
        head.headers.add(name: "Connection", value: "close")
        let request = head
        do {
            return try await LoopExchange<Answer>.run(timeout: timeout, timeoutError: WebFetchFailure.timeout) { exchange in
                let connected = ClientBootstrap(group: exchange.loop)
                    .connectTimeout(exchange.limit)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let pipeline = channel.pipeline.syncOperations
                            if let tls {
                                try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                            }
                            try pipeline.addHTTPClientHandlers()
                            try pipeline.addHandler(ResponseReader(maximumBytes: maximumBytes, exchange: exchange))
                        }
                    }
                    .connect(to: target)
                exchange.open(connected) { channel in
                    channel.write(HTTPClientRequestPart.head(request), promise: nil)
                    return channel.writeAndFlush(HTTPClientRequestPart.end(nil))
                }
            }
        } catch let failure as WebFetchFailure {
            throw failure
        } catch {
            throw WebFetchFailure.connection("\(error)")
        }
    }

    /// Reads the answer's head and, for a 2xx answer, its body up to the limit; then completes.
    private final class ResponseReader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart

        let maximumBytes: Int
        let exchange: LoopExchange<Answer>
        // The event loop's alone.
        private var head: HTTPResponseHead?
        private var body: [UInt8] = []

        init(maximumBytes: Int, exchange: LoopExchange<Answer>) {
            self.maximumBytes = maximumBytes
            self.exchange = exchange
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let received):
                // An interim answer (100 Continue and the like) is followed by the real one.
                guard received.status.code >= 200 else { return }
                head = received
                if !(200..<300).contains(received.status.code) { finish() }
            case .body(var buffer):
                guard let head, (200..<300).contains(head.status.code) else { return }
                let room = max(0, maximumBytes - body.count)
                body += buffer.readBytes(length: min(room, buffer.readableBytes)) ?? []
                if body.count >= maximumBytes { finish() }
            case .end:
                finish()
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            guard !exchange.isFinished else { return }
            exchange.finish(.failure(WebFetchFailure.connection("\(error)")))
        }

        func channelInactive(context: ChannelHandlerContext) {
            if head != nil {
                finish()
            } else if !exchange.isFinished {
                exchange.finish(.failure(WebFetchFailure.connection("the server closed the connection without an answer")))
            }
        }

        private func finish() {
            guard let head else { return }
            guard !exchange.isFinished else { return }
            let answer = Answer(
                status: Int(head.status.code), location: head.headers.first(name: "Location"),
                body: String(decoding: body, as: UTF8.self))
            exchange.finish(.success(answer))
        }
    }
}
