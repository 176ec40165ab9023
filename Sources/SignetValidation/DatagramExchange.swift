import Foundation
import NIOCore
import NIOPosix

/// One DNS question over UDP: a socket of its own on a port the kernel picks (so that every
/// question has a fresh source port), the query sent to `server`, and the first datagram from
/// `server` carrying the query's id taken as the answer.
///
/// It runs on the event loop alone (``LoopExchange``) rather than as an async channel under a
/// task group: a certificate check asks several questions, and the async sequence, the timeout's
/// extra task and its timer cost more than the exchange itself.
enum DatagramExchange {
    static func ask(
        _ message: [UInt8], id: UInt16, server: SocketAddress, timeout: TimeInterval
    ) async throws -> DNSResponse {
        // By address: `bind(host:port:)` would run `getaddrinfo` for every question.
        let local = try SocketAddress(ipAddress: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
        return try await LoopExchange<DNSResponse>.run(timeout: timeout, timeoutError: DNSError.timeout) { exchange in
            let bound = DatagramBootstrap(group: exchange.loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            AnswerHandler(server: server, id: id, exchange: exchange))
                    }
                }
                .bind(to: local)
            exchange.open(bound) { channel in
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: message)))
            }
        }
    }

    /// Ends the exchange with the server's answer to this query; other datagrams are dropped.
    private final class AnswerHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>

        let server: SocketAddress
        let id: UInt16
        let exchange: LoopExchange<DNSResponse>

        init(server: SocketAddress, id: UInt16, exchange: LoopExchange<DNSResponse>) {
            self.server = server
            self.id = id
            self.exchange = exchange
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard envelope.remoteAddress == server else { return }
            let bytes = Array(envelope.data.readableBytesView)
            guard bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { return }
            exchange.finish(Result { try DNSMessage.parse(bytes, expectedID: id) })
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            exchange.finish(.failure(DNSError.unreachable("\(server): \(error)")))
        }

        func channelInactive(context: ChannelHandlerContext) {
            // Before an answer, the socket closed under the question.
            guard !exchange.isFinished else { return }
            exchange.finish(.failure(DNSError.unreachable("the socket for \(server) closed")))
        }
    }
}
