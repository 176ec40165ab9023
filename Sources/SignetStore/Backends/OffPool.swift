import Dispatch

/// Blocking work (opening or closing a database file) on a Dispatch thread, awaited without
/// holding one of the cooperative pool's threads, of which a 2-core machine has two.
enum OffPool {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
