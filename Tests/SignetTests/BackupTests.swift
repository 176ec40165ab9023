import Foundation
import Testing

@testable import SignetTestSupport

/// `signet backup` and `signet restore` (docs/operations.md), against running servers.
@Suite("Backup and restore")
struct BackupTests {
    static func placeDV(_ client: LiveClient, name: String) async throws -> TestResponse {
        try await client.call(
            .POST, "order/certificate/ssl_dv_geotrust",
            json: [
                "certificate": ["common_name": name, "csr": try TestData.csr(commonName: name), "signature_hash": "sha256"],
                "validity_years": 1, "skip_approval": true, "payment_method": "balance",
            ])
    }

    /// Every order of the server by id: its status and its certificate's serial number.
    static func orders(_ client: LiveClient) async throws -> [Int: (status: String, serial: String)] {
        let listed = try await client.call(.GET, "order/certificate?limit=1000")
        var orders: [Int: (String, String)] = [:]
        for order in listed.json["orders"] as? [[String: Any]] ?? [] {
            guard let id = order["id"] as? Int else { continue }
            let info = try await client.call(.GET, "order/certificate/\(id)").json
            orders[id] = (
                info["status"] as? String ?? "?", (info["certificate"] as? [String: Any])?["serial_number"] as? String ?? "?"
            )
        }
        return orders
    }

    static func balance(_ client: LiveClient) async throws -> Double {
        Double(try await client.call(.GET, "finance/balance").json["balance"] as? String ?? "") ?? -1
    }

    @Test("A backup taken under load restores to a server with the same orders, certificates and a balance that matches them")
    func backupUnderLoad() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let original = try SignetProcess(data: root.appendingPathComponent("original"), arguments: ["--dcv", "always-valid"])
        defer { original.stop() }
        try await original.waitUntilServing()
        #expect(try await original.administer(["balance", "add", "100000"]).status == 0)
        let client = LiveClient(base: original.base, key: try original.adminKey)
        for index in 0..<5 {
            #expect(try await Self.placeDV(client, name: "before\(index).example.com").status == .created)
        }

        // Orders keep arriving while the backup runs.
        let load = Task {
            var placed = 0
            while !Task.isCancelled && placed < 400 {
                // A request cut off by the cancellation at the end counts as not placed.
                if (try? await Self.placeDV(client, name: "during\(placed).example.com"))?.status == .created { placed += 1 }
            }
            return placed
        }
        let file = root.appendingPathComponent("signet.backup")
        let backup = try await Tools.run(
            "signet", ["backup", file.path, "--data", original.data.path], executable: SignetProcess.binary, timeout: 120)
        load.cancel()
        let during = await load.value
        try await Task.sleep(nanoseconds: 1_000_000_000)  // a request cut off may still commit on the server
        #expect(backup.status == 0, "\(backup.error)")
        #expect(backup.error.isEmpty, "no progress bar when standard error is not a terminal: \(backup.error)")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let restoredFolder = root.appendingPathComponent("restored")
        let restore = try await Tools.run(
            "signet", ["restore", file.path, "--data", restoredFolder.path], executable: SignetProcess.binary, timeout: 120)
        #expect(restore.status == 0, "\(restore.error)")
        // An order whose signature was in flight at the backup's moment comes back pending, its serial
        // reserved; the restored server signs it once the lease has passed (a second here).
        let restored = try SignetProcess(
            data: restoredFolder, arguments: ["--dcv", "always-valid", "--signing-lease", "1", "--recheck-interval", "0.5"])
        defer { restored.stop() }
        try await restored.waitUntilServing()
        let restoredClient = LiveClient(base: restored.base, key: try restored.adminKey)

        let before = try await Self.orders(client)
        var after = try await Self.orders(restoredClient)
        #expect(after.count >= 5 && after.count <= before.count, "\(after.count) of \(before.count); \(during) during")
        let inFlight = Set(after.filter { $0.value.status == "pending" }.keys)
        #expect(inFlight.count <= 2, "at most the signatures in flight at that moment: \(inFlight)")
        if !inFlight.isEmpty {
            #expect(
                try await Tools.eventually(within: 30, every: 0.5) {
                    after = try await Self.orders(restoredClient)
                    return inFlight.allSatisfy { after[$0]?.status == "issued" }
                }, "the restored server signs what was in flight")
        }
        for (id, order) in after where !inFlight.contains(id) {
            #expect(before[id]?.status == order.status && before[id]?.serial == order.serial, "order \(id)")
        }
        // The ledger is in the same transactions as the orders: each restored order was paid for, no other.
        let price = (100_000 - (try await Self.balance(client))) / Double(before.count)
        let restoredBalance = try await Self.balance(restoredClient)
        #expect(abs(restoredBalance - (100_000 - price * Double(after.count))) < 0.005, "\(restoredBalance), \(price)")
        let someOrder = try #require(after.keys.max())
        let chain = try await restoredClient.call(.GET, "certificate/download/order/\(someOrder)/format/pem_all")
        #expect(chain.status == .ok && Tools.pemBlocks(chain.text).count == 3, "\(chain.text)")
        let root1 = try await LiveClient(base: original.base, key: nil).call(.GET, "/ca/root.pem").text
        let root2 = try await LiveClient(base: restored.base, key: nil).call(.GET, "/ca/root.pem").text
        #expect(root1 == root2, "the same CA")
    }

    @Test("Restore refuses a non-empty folder, a path outside the folder, a truncated or altered file, and leaves nothing")
    func hostileBackups() async throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try SignetProcess(data: root.appendingPathComponent("data"))
        try await server.waitUntilServing()
        let file = root.appendingPathComponent("good.backup")
        #expect(try await server.administer(["backup", file.path]).status == 0)
        server.stop()
        let again = try await server.administer(["backup", file.path])
        #expect(again.status != 0 && again.error.contains("never overwrites"), "\(again.error)")

        func restore(_ archive: URL, into folder: URL) async throws -> Tools.Result {
            try await Tools.run(
                "signet", ["restore", archive.path, "--data", folder.path], executable: SignetProcess.binary, timeout: 60)
        }
        let full = root.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: full.appendingPathComponent("x").path, contents: Data("x".utf8)))
        let refused = try await restore(file, into: full)
        #expect(refused.status != 0 && refused.error.contains("is not empty"), "\(refused.error)")

        let good = try Data(contentsOf: file)
        let truncated = root.appendingPathComponent("truncated.backup")
        try good.prefix(good.count / 2).write(to: truncated)
        var altered = good
        altered[2048] ^= 0xFF
        let alteredFile = root.appendingPathComponent("altered.backup")
        try altered.write(to: alteredFile)
        let escaping = root.appendingPathComponent("escaping.backup")
        let python = """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as archive:
                info = tarfile.TarInfo("../escaped.txt"); data = b"owned"; info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            """
        #expect(try await Tools.run("python3", ["-c", python, escaping.path]).status == 0)
        for (archive, reason) in [
            (truncated, "ends in the middle"), (alteredFile, "differ from the manifest"),
            (escaping, "names a path Signet does not restore"),
        ] {
            let target = root.appendingPathComponent("target-\(archive.lastPathComponent)")
            let result = try await restore(archive, into: target)
            #expect(result.status != 0 && result.error.contains(reason), "\(archive.lastPathComponent): \(result.error)")
            #expect(!FileManager.default.fileExists(atPath: target.path), "nothing left behind")
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("escaped.txt").path))
    }
}
