import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP server on loopback that answers every http-01 challenge of one account:
/// `/.well-known/acme-challenge/<token>` is `<token>.<thumbprint>` (RFC 8555 8.3).
enum ChallengeResponder {
    static func start(port: Int, thumbprint: String) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(thumbprint: thumbprint))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let thumbprint: String
        private var path = ""

        init(thumbprint: String) { self.thumbprint = thumbprint }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): path = head.uri
            case .body: break
            case .end:
                let prefix = "/.well-known/acme-challenge/"
                let found = path.hasPrefix(prefix)
                let body = found ? "\(path.dropFirst(prefix.count)).\(thumbprint)" : "not found"
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: String(body.utf8.count))
                headers.add(name: "Content-Type", value: "text/plain")
                let head = HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
