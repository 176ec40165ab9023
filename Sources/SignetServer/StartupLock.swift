import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on `<data>/startup.lock`, held while an instance migrates the schema,
/// bootstraps the account and loads (or, on first start, creates) the CA. Instances that share a
/// data folder (and so the CA keys) start one after the other instead of racing to create them.
enum StartupLock {
    static func withLock<T>(directory: URL, _ body: () async throws -> T) async throws -> T {
        let descriptor = open(directory.appendingPathComponent("startup.lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return try await body() }
        defer { close(descriptor) }
        _ = flock(descriptor, LOCK_EX)
        defer { _ = flock(descriptor, LOCK_UN) }
        return try await body()
    }
}
