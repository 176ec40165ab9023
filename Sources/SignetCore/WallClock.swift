import Foundation

/// Where "now" comes from. Production reads the system clock; tests pass a fixed instant
/// so that validity caps and expiry can be checked on any day.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system clock, truncated to whole seconds: certificates and the database keep seconds,
/// and a value that round-trips unchanged is easier to compare.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)) }
}

/// A clock that reads a settable instant.
public final class FixedWallClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    public init(_ instant: Date) { self.instant = instant }

    public func now() -> Date { lock.withLock { instant } }
    public func advance(by seconds: TimeInterval) { lock.withLock { instant += seconds } }
}
