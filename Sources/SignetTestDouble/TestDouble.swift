import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// What the test double holds beside the server (docs/test-double.md): the clock a suite moves,
/// the database as it was just after start, and the snapshots a suite saved.
public final class TestDouble: Sendable {
    public let clock: AdjustableWallClock
    let registration: RegistrationAuthority
    /// The database the double snapshots and restores (the server's, handed over at start).
    let store: SignetStore
    let snapshots = SnapshotShelf()
    let faults = FaultPlan()
    let journal = RequestJournal()
    /// What else forgets its state when the database goes back (caches of answers read from it).
    let forget: @Sendable () -> Void

    public init(
        clock: AdjustableWallClock, registration: RegistrationAuthority, store: SignetStore,
        forget: @escaping @Sendable () -> Void
    ) {
        self.clock = clock
        self.registration = registration
        self.store = store
        self.forget = forget
    }

    /// Puts the database back as `snapshot` holds it.
    func restore(_ snapshot: StoreSnapshot) async throws {
        try await store.restore(snapshot)
        forget()
    }

    /// Saves the state just after start, which ``reset()`` goes back to.
    public func markStart() async throws {
        snapshots.put(Self.startName, try await store.snapshot())
    }

    /// Back to the state just after start: the database, the clock, the request limits, the
    /// faults and the journal.
    func reset(rateLimiter: RateLimiter) async throws {
        guard let start = snapshots.get(Self.startName) else { throw Abort(.conflict, reason: "the start was not saved") }
        try await restore(start)
        clock.reset()
        rateLimiter.reset()
        registration.pace.reset()
        faults.clear()
        journal.clear()
    }

    static let startName = "start"
}

/// Named snapshots, in memory.
final class SnapshotShelf: @unchecked Sendable {
    private let lock = NSLock()
    private var shelf: [String: StoreSnapshot] = [:]

    func put(_ name: String, _ snapshot: StoreSnapshot) { lock.withLock { shelf[name] = snapshot } }
    func get(_ name: String) -> StoreSnapshot? { lock.withLock { shelf[name] } }
    var names: [String] { lock.withLock { shelf.keys.sorted() } }
}
