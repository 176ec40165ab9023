import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A percentage on one terminal line, redrawn in place; nothing when standard error is not a
/// terminal (a log file or a pipe gets only the result).
public final class TerminalProgress: @unchecked Sendable {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var shown = -1

    public init(label: String) { self.label = label }

    public func show(_ fraction: Double) {
        guard enabled else { return }
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
        lock.withLock {
            guard percent != shown else { return }
            shown = percent
            let filled = percent / 5
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
        }
    }

    /// Ends the line, if anything was shown on it.
    public func finish() {
        guard enabled, lock.withLock({ shown >= 0 }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
