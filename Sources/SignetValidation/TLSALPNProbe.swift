import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SignetCore

/// What a TLS server showed to a tls-alpn-01 check: the protocol it negotiated and its certificate.
struct TLSALPNHandshake: Sendable {
    /// The ALPN protocol the server chose; `nil` when it chose none.
    let negotiatedProtocol: String?
    /// The DER of the server's certificate.
    let certificate: [UInt8]
}

/// Why a tls-alpn-01 handshake gave no certificate.
enum TLSALPNProbeError: Error, Sendable {
    case closedBeforeHandshake
    case noCertificate
}

/// The TLS side of tls-alpn-01 (RFC 8737 3): one handshake with `address`, offering only the
/// `acme-tls/1` protocol, with the identifier as SNI; the certificate is read, never trusted (the
/// challenge certificate is self-signed by design). Nothing is sent after the handshake.
enum TLSALPNProbe {
    static let acmeProtocol = "acme-tls/1"

    /// A handshake with `address`. BoringSSL refuses a server certificate whose keyUsage lacks
    /// digitalSignature when the handshake signs (TLS 1.3, ECDHE), and some clients' challenge
    /// certificates have only keyEncipherment (lego 4.9's); RFC 8737 asks nothing of keyUsage, so a
    /// failed handshake is tried once more in TLS 1.2 with RSA key exchange, which needs only that.
    static func handshake(
        address: IPAddress, port: Int, serverName: String, timeout: TimeInterval
    ) async throws -> TLSALPNHandshake {
        do {
            return try await handshake(
                address: address, port: port, serverName: serverName, timeout: timeout, rsaKeyExchange: false)
        } catch let error as NIOSSLError {
            guard case .handshakeFailed = error else { throw error }
            return try await handshake(
                address: address, port: port, serverName: serverName, timeout: timeout, rsaKeyExchange: true)
        }
    }

    private static func handshake(
        address: IPAddress, port: Int, serverName: String, timeout: TimeInterval, rsaKeyExchange: Bool
    ) async throws -> TLSALPNHandshake {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.applicationProtocols = [acmeProtocol]
        configuration.minimumTLSVersion = .tlsv12
        if rsaKeyExchange {
            configuration.maximumTLSVersion = .tlsv12
            configuration.cipherSuites = "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"
        }
        let context = try NIOSSLContext(configuration: configuration)
        let target = try SocketAddress(ipAddress: address.description, port: port)
        return try await LoopExchange<TLSALPNHandshake>.run(timeout: timeout, timeoutError: DNSError.timeout) { exchange in
            let connected = ClientBootstrap(group: exchange.loop)
                .connectTimeout(exchange.limit)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandlers([tls, HandshakeCapture(exchange)])
                    }
                }
                .connect(to: target)
            // Nothing is sent: the handshake is the whole exchange.
            exchange.open(connected) { $0.eventLoop.makeSucceededVoidFuture() }
        }
    }
}

/// Ends the exchange with the peer's certificate once the handshake is done, or with the error
/// that ended the connection first; then closes the connection.
private final class HandshakeCapture: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let exchange: LoopExchange<TLSALPNHandshake>

    init(_ exchange: LoopExchange<TLSALPNHandshake>) { self.exchange = exchange }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted(let negotiated) = event {
            let outcome = Result {
                guard let certificate = try context.pipeline.syncOperations.nioSSL_peerCertificate() else {
                    throw TLSALPNProbeError.noCertificate
                }
                return TLSALPNHandshake(negotiatedProtocol: negotiated, certificate: try certificate.toDERBytes())
            }
            complete(outcome)
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(TLSALPNProbeError.closedBeforeHandshake))
        context.fireChannelInactive()
    }

    private func complete(_ outcome: Result<TLSALPNHandshake, any Error>) { exchange.finish(outcome) }
}
