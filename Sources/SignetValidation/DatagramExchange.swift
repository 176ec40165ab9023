import Foundation
import NIOCore
import NIOPosix

/// One DNS question over UDP: a socket of its own on a port the kernel picks (so that every
/// question has a fresh source port), the query sent to `server`, and the first datagram from
/// `server` carrying the query's id taken as the answer.
///
/// It runs on the event loop alone (a handler, a promise and a scheduled timeout) rather than as
/// an async channel under a task group: a certificate check asks several questions, and the
/// async sequence, the timeout's extra task and its timer cost more than the exchange itself.
enum DatagramExchange {
    static func ask(
        _ message: [UInt8], id: UInt16, server: SocketAddress, timeout: TimeInterval
    ) async throws -> DNSResponse {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: DNSResponse.self)
        let handler = AnswerHandler(server: server, id: id, promise: promise)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                // By address: `bind(host:port:)` would run `getaddrinfo` for every question.
                .bind(to: try SocketAddress(ipAddress: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)).get()
        } catch {
            promise.fail(error)
            throw error
        }
        // Every way out closes the socket; a closed socket fails the promise if nothing answered.
        let deadline = loop.scheduleTask(in: .nanoseconds(Int64(min(max(0, timeout), 3600) * 1_000_000_000))) {
            promise.fail(DNSError.timeout)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: message))).whenFailure {
            promise.fail($0)
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    /// Completes the promise with the server's answer to this query; other datagrams are dropped.
    private final class AnswerHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>

        let server: SocketAddress
        let id: UInt16
        let promise: EventLoopPromise<DNSResponse>
        /// Whether this handler completed the promise (the event loop's alone).
        private var answered = false

        init(server: SocketAddress, id: UInt16, promise: EventLoopPromise<DNSResponse>) {
            self.server = server
            self.id = id
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard envelope.remoteAddress == server else { return }
            let bytes = Array(envelope.data.readableBytesView)
            guard bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { return }
            answered = true
            promise.completeWith(Result { try DNSMessage.parse(bytes, expectedID: id) })
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(DNSError.unreachable("\(server): \(error)"))
        }

        func channelInactive(context: ChannelHandlerContext) {
            guard !answered else { return }
            promise.fail(DNSError.unreachable("\(server) closed"))
        }
    }
}
