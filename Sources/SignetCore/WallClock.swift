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

/// The system clock moved by an offset that can be set and advanced: the test double's clock
/// (docs/test-double.md), which runs on from wherever it was put, as real time does.
public final class AdjustableWallClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    public init() {}

    public func now() -> Date {
        let offset = lock.withLock { self.offset }
        return Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + offset).rounded(.down))
    }

    /// From now on, the clock reads `date` and runs on from there.
    public func set(_ date: Date) { lock.withLock { offset = date.timeIntervalSinceNow } }

    /// Moves the clock by `seconds` (forward; backward when negative).
    public func advance(by seconds: TimeInterval) { lock.withLock { offset += seconds } }

    /// Back to the system's time.
    public func reset() { lock.withLock { offset = 0 } }
}
