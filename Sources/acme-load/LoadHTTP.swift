import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// HTTP/1.1 for the load generator: kept-alive connections to one server, each carrying one
/// request at a time, taken from a free list and given back. AsyncHTTPClient did the same through
/// its pool, its state machines and a task per request: half of this tool's CPU, which shares the
/// two cores with the server it measures.
final class LoadHTTP: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    typealias Answer = ACMELoadClient.Answer

    let host: String
    let port: Int
    private let idle = Mutex<[KeepAlive]>([])

    /// For the server of `url` (`http://HOST:PORT/...`); every URL asked later must be on it.
    init(url: String) throws {
        guard url.hasPrefix("http://") else { throw Failure(description: "\(url) is not an http:// URL") }
        let authority = url.dropFirst("http://".count).prefix { $0 != "/" }
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) else {
            throw Failure(description: "\(url) names no port")
        }
        host = String(authority[..<colon])
        self.port = port
    }

    func execute(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) async throws -> Answer {
        let prefix = "http://\(host):\(port)"
        guard url.hasPrefix(prefix) else { throw Failure(description: "\(url) is not on \(prefix)") }
        let path = url.dropFirst(prefix.count).isEmpty ? "/" : String(url.dropFirst(prefix.count))
        let reused = idle.withLock { connections -> KeepAlive? in
            while let connection = connections.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
        let connection: KeepAlive
        if let reused { connection = reused } else { connection = try await KeepAlive.connect(host: host, port: port) }
        do {
            let answer = try await connection.send(method, path: path, host: "\(host):\(port)", headers: headers, body: body)
            idle.withLock { $0.append(connection) }
            return answer
        } catch {
            connection.channel.close(promise: nil)
            throw error
        }
    }

    func shutdown() {
        for connection in idle.withLock({ $0 }) { connection.channel.close(promise: nil) }
    }
}

/// One connection and the handler that collects its answers.
final class KeepAlive: Sendable {
    let channel: any Channel
    let collector: AnswerCollector

    private init(channel: any Channel, collector: AnswerCollector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(host: String, port: Int) async throws -> KeepAlive {
        let collector = AnswerCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port).get()
        return KeepAlive(channel: channel, collector: collector)
    }

    func send(
        _ method: HTTPMethod, path: String, host: String, headers: HTTPHeaders, body: [UInt8]?
    ) async throws -> LoadHTTP.Answer {
        let channel = self.channel
        let collector = self.collector
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: LoadHTTP.Answer.self)
        loop.execute {
            collector.pending = promise
            let timeout = loop.scheduleTask(in: .seconds(60)) {
                promise.fail(LoadHTTP.Failure(description: "no answer in 60 s"))
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in timeout.cancel() }
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers = headers
            head.headers.replaceOrAdd(name: "Host", value: host)
            if let body { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { promise.fail($0) }
        }
        return try await promise.futureResult.get()
    }
}

/// Completes the pending request's promise with its answer (the event loop's alone).
final class AnswerCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    var pending: EventLoopPromise<LoadHTTP.Answer>?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if let head { pending?.succeed(LoadHTTP.Answer(status: Int(head.status.code), headers: head.headers, body: body)) }
            pending = nil
            head = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(LoadHTTP.Failure(description: "the server closed the connection"))
        pending = nil
    }
}
