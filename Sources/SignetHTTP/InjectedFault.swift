import NIOHTTP1

/// A failure the test double injects (docs/test-double.md): each dialect renders it in its own
/// error format, as the commercial API would answer when overloaded or down.
public struct InjectedFault: Error, Sendable, Equatable {
    /// 429, 500, 502, 503 or 504.
    public let status: HTTPResponseStatus
    /// Seconds for `Retry-After` (429 and 503).
    public let retryAfter: Int?

    public init(status: HTTPResponseStatus, retryAfter: Int?) {
        self.status = status
        self.retryAfter = retryAfter
    }

    /// The statuses a fault may answer.
    public static let statuses: Set<UInt> = [429, 500, 502, 503, 504]
}
