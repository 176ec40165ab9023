import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, in place of Foundation's `Process`.
///
/// Foundation's `Process.run()` on Linux scans `/proc/self/fd` with a 256-byte copy of each
/// directory entry and crashes the test process now and then (swift-corelibs-foundation#5472,
/// fixed after Swift 6.3). The tests start hundreds of children (openssl, pkilint, certbot, lego,
/// Caddy, unbound, Signet), so they start them here instead: the child keeps standard input,
/// output and error and closes every other descriptor (`posix_spawn_file_actions_addclosefrom_np`),
/// so a pipe of one test never stays open in another test's child.
final class ChildProcess: @unchecked Sendable {
    /// Where one of the child's standard streams goes.
    enum Stream {
        case null
        /// A descriptor the caller owns (a log file); the child gets a copy.
        case descriptor(Int32)
        /// The child writes this pipe; the parent reads it (``ChildPipe/readToEnd()``).
        case output(ChildPipe)
        /// The child reads this pipe; the parent writes it (``ChildPipe/writeAndClose(_:)``).
        case input(ChildPipe)
    }

    let processIdentifier: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `arguments[0]` (looked up on PATH by `/usr/bin/env`) with the rest as its arguments.
    init(
        _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil, standardInput: Stream = .null,
        standardOutput: Stream = .null, standardError: Stream = .null
    ) throws {
        // env's --chdir changes the folder in the child: glibc's addchdir_np is not visible to Swift.
        let argv = ["/usr/bin/env"] + (directory.map { ["--chdir=\($0.path)"] } ?? []) + ["--"] + arguments
        let variables = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }.map { "\($0.key)=\($0.value)" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (stream, target) in [(standardInput, Int32(0)), (standardOutput, 1), (standardError, 2)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor):
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .output(let pipe):
                posix_spawn_file_actions_adddup2(&actions, pipe.writeEnd, target)
            case .input(let pipe):
                posix_spawn_file_actions_adddup2(&actions, pipe.readEnd, target)
            }
        }
        _ = Self.closeFrom?(&actions, 3)
        // The child starts with no signal blocked and SIGPIPE at its default, whatever this thread has.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigaddset(&signals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        Self.ignoreBrokenPipes
        var pid = pid_t()
        let status = Self.withCStrings(argv) { argvPointer in
            Self.withCStrings(variables) { environmentPointer in
                posix_spawn(&pid, argv[0], &actions, &attributes, argvPointer, environmentPointer)
            }
        }
        // The parent lets go of the child's ends at once: a reader sees the end when the child exits.
        for stream in [standardInput, standardOutput, standardError] {
            if case .output(let pipe) = stream { pipe.closeWriteEnd() }
            if case .input(let pipe) = stream { pipe.closeReadEnd() }
        }
        guard status == 0 else { throw ChildProcessError.spawn(arguments.first ?? "", String(cString: strerror(status))) }
        processIdentifier = pid
    }

    /// Whether the child still runs; reaps it (once) when it has ended.
    var isRunning: Bool {
        lock.withLock {
            guard exitStatus == nil else { return false }
            var status: Int32 = 0
            let reaped = waitpid(processIdentifier, &status, WNOHANG)
            guard reaped == processIdentifier else { return reaped == 0 }
            // WIFEXITED: the low seven bits are zero; otherwise it ended by a signal (128 + number, as a shell says).
            exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return false
        }
    }

    /// The exit status once the child has ended (128 + the signal's number if a signal ended it); -1 while it runs.
    var terminationStatus: Int32 {
        guard !isRunning else { return -1 }
        return lock.withLock { exitStatus ?? -1 }
    }

    /// Sends `signal` unless the child has ended and been reaped (its number may be another's by then).
    func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(processIdentifier, signal)
    }

    /// SIGTERM: asks the child to stop.
    func terminate() { send(SIGTERM) }

    /// Waits, without holding a thread, until the child has ended or `seconds` passed.
    func waitForExit(within seconds: Double) async {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
    }

    /// Blocks this thread until the child has ended or `seconds` passed; for threads of the tests' own.
    func waitBlocking(within seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// A child that exits before reading all its input must not end the test process with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which its headers hide from Swift.
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private static func withCStrings<T>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T {
        // posix_spawn's argv and envp are arrays of C strings ending in a null pointer.
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { preconditionFailure("never empty: it ends in a null pointer") }
            return body(base)
        }
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case spawn(String, String)

    var description: String {
        switch self {
        case .spawn(let tool, let reason): "could not start \(tool): \(reason)"
        }
    }
}

/// A pipe whose descriptors are closed on exec, so that only the child it is handed to holds its end.
final class ChildPipe: @unchecked Sendable {
    let readEnd: Int32
    let writeEnd: Int32
    private let lock = NSLock()
    private var open: Set<Int32>

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw ChildProcessError.spawn("pipe", String(cString: strerror(errno))) }
        // pipe2 is hidden from Swift; a child spawned in between closes it anyway (closefrom).
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        readEnd = descriptors[0]
        writeEnd = descriptors[1]
        open = [readEnd, writeEnd]
    }

    deinit { open.forEach { _ = close($0) } }

    /// Everything the child writes, up to its end (blocks; call on a thread of the tests' own).
    func readToEnd() -> Data {
        let data = FileHandle(fileDescriptor: readEnd, closeOnDealloc: false).readDataToEndOfFile()
        closeReadEnd()
        return data
    }

    /// Writes `data` for the child to read, then closes the pipe so that the child sees its end.
    func writeAndClose(_ data: Data?) {
        if let data { try? FileHandle(fileDescriptor: writeEnd, closeOnDealloc: false).write(contentsOf: data) }
        closeWriteEnd()
    }

    func closeReadEnd() { closeOnce(readEnd) }
    func closeWriteEnd() { closeOnce(writeEnd) }

    private func closeOnce(_ descriptor: Int32) {
        lock.withLock {
            if open.remove(descriptor) != nil { _ = close(descriptor) }
        }
    }
}
