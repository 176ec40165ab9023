import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Runs Signet's statements on one PostgreSQL connection from a thread that may block: each
/// statement is sent on the connection's event loop and waited for here, for at most `timeout`.
///
/// A statement is sent only while the connection is open, checked on its event loop in the same
/// turn as the write: PostgresNIO drops a query written to a closed connection and never answers
/// it, so a statement sent as PostgreSQL restarts would otherwise wait for its timeout.
struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    let timeout: TimeInterval

    var dialect: SQLDialect { .postgresql }

    func rows(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, values)
        guard let first = result.rows.first else { return [] }
        let columns = SQLColumns.named(first.map(\.columnName))
        return try result.rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int {
        try run(sql, values).metadata.rows ?? 0
    }

    private func run(_ sql: String, _ values: [SQLValue]) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { Self.append(value, to: &bindings) }
        let query = PostgresQuery(unsafeSQL: PostgresPlaceholders.numbered(sql), binds: bindings)
        let (connection, logger) = (self.connection, self.logger)
        let future = connection.eventLoop.flatSubmit { () -> EventLoopFuture<PostgresQueryResult> in
            guard !connection.isClosed else {
                return connection.eventLoop.makeFailedFuture(StoreError.unavailable("the database connection was lost"))
            }
            return connection.query(query, logger: logger)
        }
        return try BlockingWait.result(of: future, timeout: timeout) {
            // No answer in time: the connection is in an unknown state; closing it fails the
            // statement and PostgreSQL rolls back what it left uncommitted.
            connection.close().whenComplete { _ in }
        }
    }

    static func append(_ value: SQLValue, to bindings: inout PostgresBindings) {
        switch value {
        case .null: bindings.appendNull()
        case .integer(let value): bindings.append(value)
        case .real(let value): bindings.append(value)
        case .text(let value): bindings.append(value)
        case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
        case .bool(let value): bindings.append(value)
        case .date(let value): bindings.append(value)
        }
    }

    /// A cell as a value: every type Signet's schema and queries produce.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .bool(try cell.decode(Bool.self))
        case .timestamptz, .timestamp, .date: return .date(try cell.decode(Date.self))
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .numeric:
            // SUM over BIGINT is NUMERIC; whole numbers become integers.
            let text = try cell.decode(String.self)
            if let integer = Int64(text) { return .integer(integer) }
            return .real(Double(text) ?? 0)
        case .uuid: return .text(try cell.decode(UUID.self).uuidString)
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// Numbered placeholders for PostgreSQL: `?` becomes `$1`, `$2`, …, outside quoted text.
enum PostgresPlaceholders {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]

    static func numbered(_ sql: String) -> String {
        if let known = lock.withLock({ cache[sql] }) { return known }
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                number += 1
                result.append("$\(number)")
            } else {
                result.append(character)
            }
        }
        lock.withLock {
            if cache.count > 10_000 { cache.removeAll() }
            cache[sql] = result
        }
        return result
    }
}

/// Waits on a thread that may block (never an event loop, never the cooperative pool) for a future.
enum BlockingWait {
    static func result<T>(of future: EventLoopFuture<T>, timeout: TimeInterval, onTimeout: () -> Void) throws -> T {
        let box = ResultBox<T>()
        let semaphore = DispatchSemaphore(value: 0)
        future.whenComplete { result in
            box.set(result)
            semaphore.signal()
        }
        if semaphore.wait(timeout: .now() + timeout) == .timedOut {
            onTimeout()
            throw StoreError.unavailable("the database did not answer within \(Int(timeout)) seconds")
        }
        guard let result = box.get() else { throw StoreError.unavailable("the database gave no answer") }
        return try result.get()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<T, any Error>?
        func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }
        func get() -> Result<T, any Error>? { lock.withLock { result } }
    }
}
