import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs real command-line tools (openssl, pkilint, python3) that judge what Signet produces.
enum Tools {
    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    /// Runs `tool` (found on PATH, or `executable`) to its end and returns its status and output.
    ///
    /// Standard output and standard error are read at the same time, each on a thread of its own:
    /// a child that fills one pipe while the other is being read to its end would otherwise block
    /// forever. A child that runs past `timeout` is killed, and its result says so (status -1).
    ///
    /// The wait happens on a thread of its own, never on one of the cooperative pool's threads (two
    /// on this machine): the in-process servers of other tests need those to answer in time.
    @discardableResult
    static func run(
        _ tool: String, _ arguments: [String], input: Data? = nil, in directory: URL? = nil, executable: URL? = nil,
        environment: [String: String]? = nil, timeout: TimeInterval = 300
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try runBlocking(
                            tool, arguments, input: input, in: directory, executable: executable, environment: environment,
                            timeout: timeout)
                    })
            }
        }
    }

    static func runBlocking(
        _ tool: String, _ arguments: [String], input: Data?, in directory: URL?, executable: URL?,
        environment: [String: String]?, timeout: TimeInterval
    ) throws -> Result {
        let output = try ChildPipe()
        let error = try ChildPipe()
        let standardInput = try ChildPipe()
        let process = try ChildProcess(
            [executable?.path ?? tool] + arguments, environment: environment, directory: directory,
            standardInput: .input(standardInput), standardOutput: .output(output), standardError: .output(error))
        let collected = CollectedOutput()
        let readers = DispatchGroup()
        for (pipe, isError) in [(output, false), (error, true)] {
            DispatchQueue.global().async(group: readers) { collected.set(pipe.readToEnd(), error: isError) }
        }
        DispatchQueue.global().async(group: readers) { standardInput.writeAndClose(input) }
        var timedOut = false
        if readers.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process)
            _ = readers.wait(timeout: .now() + 5)
        }
        process.waitBlocking(within: 5)
        if process.isRunning { kill(process) }
        let (outputData, errorData) = collected.both
        return Result(
            status: timedOut || process.isRunning ? -1 : process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self),
            error: (timedOut ? "\(tool) ran for more than \(Int(timeout)) s and was killed\n" : "")
                + String(decoding: errorData, as: UTF8.self))
    }

    /// Ends a helper server at once (SIGKILL), without waiting. Callers that need it gone before
    /// going on wait with ``ChildProcess/waitForExit(within:)``; a later `isRunning` reaps it.
    static func kill(_ process: ChildProcess) { process.send(SIGKILL) }

    /// A new temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("signet-tools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A CSR made by the openssl binary: `keyArguments` after `openssl req -new -nodes`, e.g. `["-newkey", "rsa:1024"]`.
    static func opensslCSR(_ keyArguments: [String], subject: String = "/CN=example.com") async throws -> String {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await run(
            "openssl", ["req", "-new", "-nodes", "-subj", subject, "-keyout", "key.pem", "-out", "req.pem"] + keyArguments,
            in: directory)
        #expect(result.status == 0, "openssl req failed: \(result.error)")
        return try String(contentsOf: directory.appendingPathComponent("req.pem"), encoding: .utf8)
    }

    /// `openssl verify` of `leaf` against a root and intermediate; returns openssl's verdict.
    /// `openssl verify` of a chain, at `date` when given (for certificates issued under a test clock).
    static func verify(
        leaf: String, intermediate: String, root: String, purpose: String = "sslserver", at date: Date? = nil
    )
        async throws -> Result
    {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try leaf.write(to: directory.appendingPathComponent("leaf.pem"), atomically: true, encoding: .utf8)
        try intermediate.write(to: directory.appendingPathComponent("ica.pem"), atomically: true, encoding: .utf8)
        try root.write(to: directory.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        return try await run(
            "openssl",
            ["verify", "-CAfile", "root.pem", "-untrusted", "ica.pem", "-purpose", purpose]
                + (date.map { ["-attime", String(Int($0.timeIntervalSince1970))] } ?? []) + ["leaf.pem"],
            in: directory)
    }

    /// The PEM blocks of a bundle, each ending in a line break.
    static func pemBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            current.append(line)
            if line.hasPrefix("-----END ") {
                blocks.append(current.joined(separator: "\n") + "\n")
                current = []
            }
        }
        return blocks
    }

    /// `openssl x509 -noout -text` of a PEM certificate.
    static func describe(_ pem: String) async throws -> String {
        try await run("openssl", ["x509", "-noout", "-text"], input: Data(pem.utf8)).output
    }
}

extension Tools {
    /// Polls `condition` every `interval` until it holds or `seconds` pass; returns whether it held.
    /// The one way tests wait for something that happens in the background.
    @discardableResult
    static func eventually(
        within seconds: Double = 10, every interval: Double = 0.1, _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try await condition() { return true }
            if Date() >= deadline { return false }
            try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }

    /// Waits for `task` for at most `seconds`; `false` when it is still running then (a hang becomes
    /// a failed expectation rather than a stuck test run).
    static func finishes<T: Sendable>(_ task: Task<T, any Error>, within seconds: Double) async -> Bool {
        return await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task {
                _ = await task.result; once.resume(true)
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                once.resume(false)
            }
        }
    }
}

/// What a child wrote, filled by the reader threads.
private final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var output = Data()
    private var error = Data()

    func set(_ data: Data, error isError: Bool) {
        lock.withLock { if isError { error = data } else { output = data } }
    }

    var both: (Data, Data) { lock.withLock { (output, error) } }
}

/// Resumes a continuation with the first line read, or empty data at the deadline.
private final class ResumeOnceData: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Data, Never>?
    init(_ continuation: CheckedContinuation<Data, Never>) { self.continuation = continuation }

    func resume(_ value: Data) {
        lock.withLock {
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}

/// Resumes a continuation with the first value given, ignoring the later ones.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Bool, Never>?
    init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = continuation }

    func resume(_ value: Bool) {
        lock.withLock {
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}

extension Tools {
    /// Starts a helper server (`python3` with `arguments`) that prints the port it listens on as its
    /// first line; returns the running process and that port, or throws `failure` when none came.
    static func startPortPrintingServer(_ arguments: [String], failure: String) async throws -> (process: ChildProcess, port: Int)
    {
        let output = try ChildPipe()
        let process = try ChildProcess(["python3"] + arguments, standardOutput: .output(output))
        // Python starts slowly on a loaded machine.
        let line = await firstLine(of: output, within: 30)
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process)
            throw TestDNSError.missing(failure)
        }
        return (process, port)
    }

    /// The first line a child writes to `pipe`, read on a thread of its own and waited for at most
    /// `seconds` without holding a cooperative thread; empty when none came in time.
    static func firstLine(of pipe: ChildPipe, within seconds: Double) async -> Data {
        await withCheckedContinuation { continuation in
            let once = ResumeOnceData(continuation)
            Thread.detachNewThread {
                var line = Data()
                let reading = FileHandle(fileDescriptor: pipe.readEnd, closeOnDealloc: false)
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = reading.availableData
                    guard !chunk.isEmpty else { break }
                    line += chunk
                }
                once.resume(line)
            }
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: seconds)
                once.resume(Data())
            }
        }
    }
}
