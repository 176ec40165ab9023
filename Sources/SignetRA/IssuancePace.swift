import Foundation
import SignetCore

/// How soon a certificate that is ready may be signed: at once (the default), or only a while
/// after it was requested, as CertCentral often answers `pending` first. The test double sets it
/// (docs/test-double.md); the background pass signs what has waited long enough.
public final class IssuancePace: @unchecked Sendable {
    private let lock = NSLock()
    private var delay: TimeInterval = 0

    public init() {}

    /// Seconds between a certificate's request and its signature; 0 signs at once.
    public var secondsAfterRequest: TimeInterval {
        get { lock.withLock { delay } }
        set { lock.withLock { delay = max(0, newValue) } }
    }

    func permits(_ certificate: CertificateRecord, now: Date) -> Bool {
        let delay = secondsAfterRequest
        return delay == 0 || now >= certificate.dateCreated.addingTimeInterval(delay)
    }
}
