import Foundation
import Logging

/// How Signet writes its log lines to standard error: `text` for a terminal, `json` (one object
/// per line) for a log collector. Standard output stays for results.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// The level named by `LOG_LEVEL` (default `info`); a name Logging does not know is refused, not ignored.
    public static func level(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Logger.Level {
        guard let name = environment["LOG_LEVEL"], !name.isEmpty else { return .info }
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw StartupError.setting(
                "LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
        }
        return level
    }

    func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            return JSONLogHandler(label: label, logLevel: level)
        }
    }
}

/// One JSON object per line on standard error: `time`, `level`, `label`, `message` and the
/// metadata's keys (the access line's `method`, `route`, `status`, `duration_ms`, `request_id`, …).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    private static let lock = NSLock()

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = Self.plain(value)
        }
        object["time"] = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = event.message.description
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(UInt8(ascii: "\n"))
        Self.lock.withLock { FileHandle.standardError.write(line) }
    }

    static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(plain)
        case .dictionary(let values): return values.mapValues(plain)
        }
    }
}
