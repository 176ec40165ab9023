import Foundation
import SignetCore

/// How soon an approved, validated certificate may be signed. Signet signs at once; the test
/// double can make issuance asynchronous, as CertCentral's often is, so that a client's polling
/// is exercised: by time on the server's clock, by the client's reads of the order, or both.
public final class IssuancePace: @unchecked Sendable {
    private let lock = NSLock()
    private var delay: TimeInterval = 0
    private var polls = 0
    private var seen: [Int: Int] = [:]

    public init() {}

    /// Seconds between a certificate's request and its signature; 0 signs at once.
    public var secondsAfterRequest: TimeInterval {
        get { lock.withLock { delay } }
        set { lock.withLock { delay = max(0, newValue) } }
    }

    /// How many reads of an order answer `pending` before it may be signed; 0 does not count reads.
    /// Setting it starts every order's count again.
    public var pollsBeforeIssue: Int {
        get { lock.withLock { polls } }
        set {
            lock.withLock {
                polls = max(0, newValue)
                seen = [:]
            }
        }
    }

    /// Counts a client's read of `orderID`; `true` when it was the last read the order had to
    /// wait, so that the caller signs what is ready before the next one.
    public func countPoll(orderID: Int) -> Bool {
        lock.withLock {
            guard polls > 0 else { return false }
            let count = seen[orderID, default: 0] &+ 1
            seen[orderID] = count
            return count == polls
        }
    }

    /// Back to signing at once.
    public func reset() {
        lock.withLock {
            delay = 0
            polls = 0
            seen = [:]
        }
    }

    func permits(_ certificate: CertificateRecord, orderID: Int, now: Date) -> Bool {
        lock.withLock {
            (delay == 0 || now >= certificate.dateCreated.addingTimeInterval(delay))
                && (polls == 0 || seen[orderID, default: 0] >= polls)
        }
    }
}
