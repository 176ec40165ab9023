import Foundation

/// `acme-load`: full ACME flows against a server for `--seconds`, `--concurrency` at a time, each
/// for a new name under `--domain` (whose names the server's DNS must resolve to 127.0.0.1, where
/// the http-01 responder listens on `--responder-port`). Prints one JSON line: flows, errors,
/// flows per second, p50 and p99 of a flow in milliseconds. bench/run drives it.
struct Options {
    var directory = ""
    var eabKeyID = ""
    var eabHMAC = ""
    var domain = "signet-bench.com"
    var responderPort = 0
    var concurrency = 16
    var seconds = 10.0

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw ACMELoadClient.Problem(description: "\(flag) needs a value") }
            switch flag {
            case "--directory": directory = value
            case "--eab-kid": eabKeyID = value
            case "--eab-hmac": eabHMAC = value
            case "--domain": domain = value
            case "--responder-port": responderPort = Int(value) ?? 0
            case "--concurrency": concurrency = max(1, Int(value) ?? 16)
            case "--seconds": seconds = max(1, Double(value) ?? 10)
            default: throw ACMELoadClient.Problem(description: "unknown option \(flag)")
            }
        }
        guard !directory.isEmpty, !eabKeyID.isEmpty, !eabHMAC.isEmpty, responderPort > 0 else {
            throw ACMELoadClient.Problem(
                description:
                    "usage: acme-load --directory URL --eab-kid ID --eab-hmac KEY --responder-port PORT [--domain D] [--concurrency N] [--seconds S]"
            )
        }
    }
}

/// Flow durations and errors, gathered from every worker.
actor Tally {
    var durations: [Double] = []
    var errors: [String] = []
    func add(_ duration: Double) { durations.append(duration) }
    func fail(_ error: String) { errors.append(error) }
}

func percentile(_ sorted: [Double], _ share: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * share).rounded(.down)))]
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let http = try LoadHTTP(url: options.directory)
    let client = try await ACMELoadClient.register(
        directoryURL: options.directory, eabKeyID: options.eabKeyID, eabHMAC: options.eabHMAC, http: http)
    let responder = try await ChallengeResponder.start(port: options.responderPort, thumbprint: client.thumbprint)
    let tally = Tally()
    let run = UUID().uuidString.prefix(8).lowercased()
    let start = Date()
    let deadline = start.addingTimeInterval(options.seconds)
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<options.concurrency {
            group.addTask {
                var nonce = (try? await client.freshNonce()) ?? ""
                var count = 0
                while Date() < deadline {
                    count += 1
                    let began = Date()
                    do {
                        _ = try await client.flow(name: "w\(worker)-\(count)-\(run).\(options.domain)", nonce: &nonce)
                        await tally.add(Date().timeIntervalSince(began))
                    } catch {
                        await tally.fail("\(error)")
                        if let fresh = try? await client.freshNonce() { nonce = fresh }
                    }
                }
            }
        }
    }
    let elapsed = Date().timeIntervalSince(start)
    responder.close(promise: nil)
    http.shutdown()
    let durations = await tally.durations.sorted()
    let errors = await tally.errors
    let report: [String: Any] = [
        "flows": durations.count, "errors": errors.count, "seconds": (elapsed * 10).rounded() / 10,
        "flows_per_second": (Double(durations.count) / elapsed * 10).rounded() / 10,
        "p50_ms": (percentile(durations, 0.5) * 10_000).rounded() / 10,
        "p99_ms": (percentile(durations, 0.99) * 10_000).rounded() / 10,
        "first_error": errors.first ?? "",
    ]
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("acme-load: \(error)\n".utf8))
    exit(1)
}
