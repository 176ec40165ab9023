import Foundation
import Testing

@testable import SignetCertCentral
@testable import SignetHTTP
@testable import SignetRA
@testable import SignetReseller
@testable import SignetServer
@testable import SignetTestSupport

/// A database stays with the root CA that first served it: an instance whose data folder lacks
/// those CA files (a new folder beside a shared PostgreSQL) refuses to start rather than make a second root.
@Suite("CA binding")
struct CertificateAuthorityBindingTests {
    @Test("A data folder without the database's CA files stops the start with a clear error; the right folder still starts")
    func foreignFolderRefused() async throws {
        let first = try await TestSignet.start(dcv: .alwaysValid)
        let root = try await first.call(.GET, "/ca/root.pem", key: .some(nil)).text
        try await first.stop(removingData: false)
        let original = first.directory
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("signet-test-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: copy)
            try? FileManager.default.removeItem(at: original)
            if let url = first.configuration.databaseURL { TestPostgres.dropDatabase(url) }
        }
        // Everything but the CA: the same database (SQLite file or PostgreSQL URL), a new CA on start.
        try FileManager.default.copyItem(at: original, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("ca"))

        await #expect {
            let stranger = try await TestSignet.start(dcv: .alwaysValid, directory: copy)
            try await stranger.stop(removingData: false)
        } throws: { error in
            guard
                case StartupError.foreignCertificateAuthority(let folder, let folderRoot, let databaseRoot)? = error
                    as? StartupError
            else { return false }
            return folder == copy.path && folderRoot != databaseRoot && "\(error)".contains("docs/postgresql.md")
        }

        let again = try await TestSignet.start(dcv: .alwaysValid, directory: original)
        #expect(try await again.call(.GET, "/ca/root.pem", key: .some(nil)).text == root)
        try await again.stop(removingData: false)
    }
}
