import NIOCore

/// Runs a task's jobs on one NIO event loop.
///
/// sqlite-nio answers every statement on the event loop of its connection. A task that prefers
/// this executor resumes there directly after each statement, instead of being handed on to the
/// cooperative pool: one thread switch less per statement for the SQLite writer, whose statements
/// run one after another (``GroupCommit``).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
