import Foundation
import NIOCore
import NIOPosix

/// A short network exchange (one DNS question, one validation fetch) run wholly on one event loop
/// and awaited by one task: the setup is one hop onto the loop, the result one resume of the
/// task, and every way out (the answer, an error, the deadline, a cancelled task) ends it once
/// and closes its channel.
///
/// Futures would cost a hop onto the loop for each callback registered from the task's thread
/// (the deadline, the cleanup, the write, the wait itself), each a wake-up of the loop; a
/// certificate check runs several such exchanges.
final class LoopExchange<Value: Sendable>: @unchecked Sendable {
    // All of the state below belongs to `loop`: it is read and written only there.
    let loop: any EventLoop
    private var continuation: CheckedContinuation<Value, any Error>?
    /// Whether the exchange has ended (read on the loop).
    private(set) var isFinished = false
    private var channel: (any Channel)?
    private var deadline: Scheduled<Void>?
    /// How long the whole exchange may take (a connect within it takes no longer).
    let limit: TimeAmount

    private init(loop: any EventLoop, limit: TimeAmount) {
        self.loop = loop
        self.limit = limit
    }

    /// Runs `start` on a loop of the singleton group and waits for the exchange to `finish`;
    /// it fails with `timeoutError` after `timeout` seconds (bounded to an hour; a NaN or a
    /// negative value is none at all), or when the waiting task is cancelled.
    static func run(
        timeout: TimeInterval, timeoutError: any Error, _ start: @escaping @Sendable (LoopExchange<Value>) -> Void
    ) async throws -> Value {
        let seconds = timeout > 0 ? min(timeout, 3600) : 0
        let exchange = LoopExchange(
            loop: MultiThreadedEventLoopGroup.singleton.next(), limit: .nanoseconds(Int64(seconds * 1_000_000_000)))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                exchange.loop.execute {
                    guard !exchange.isFinished else {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    exchange.continuation = continuation
                    exchange.deadline = exchange.loop.scheduleTask(in: exchange.limit) {
                        exchange.finish(.failure(timeoutError))
                    }
                    start(exchange)
                }
            }
        } onCancel: {
            exchange.loop.execute { exchange.finish(.failure(CancellationError())) }
        }
    }

    /// Takes the channel `opening` gives (a bind or a connect on this loop) as the exchange's own,
    /// to be closed when it ends, and then `send`s on it; a failure to open or to send ends it.
    func open(_ opening: EventLoopFuture<any Channel>, then send: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) {
        opening.whenComplete { opened in
            switch opened {
            case .failure(let error):
                self.finish(.failure(error))
            case .success(let channel):
                guard !self.isFinished else {
                    channel.close(promise: nil)
                    return
                }
                self.channel = channel
                send(channel).whenFailure { self.finish(.failure($0)) }
            }
        }
    }

    /// Ends the exchange with `result`; later calls do nothing.
    func finish(_ result: Result<Value, any Error>) {
        loop.assertInEventLoop()
        guard !isFinished else { return }
        isFinished = true
        deadline?.cancel()
        channel?.close(promise: nil)
        let waiting = continuation
        continuation = nil
        deadline = nil
        channel = nil
        waiting?.resume(with: result)
    }
}
