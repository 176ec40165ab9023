import Crypto
import Foundation
import SignetCore

/// The few tar (POSIX ustar) records a backup needs: regular files with relative paths, streamed
/// so that a large database never sits in memory. Written so that `tar tf` lists a backup; read
/// strictly, because a restore must never write outside the folder it was given, whatever the
/// archive says.
enum TarArchive {
    enum Problem: Error, CustomStringConvertible, Equatable {
        case truncated
        case badHeader(String)
        case unsafePath(String)

        var description: String {
            switch self {
            case .truncated: return "the archive ends in the middle of a file"
            case .badHeader(let reason): return "the archive is not a Signet backup (\(reason))"
            case .unsafePath(let path): return "the archive names a path Signet does not restore: '\(path)'"
            }
        }
    }

    static let block = 512
    static let chunk = 1 << 20

    /// Whether `path` is one a restore may write: relative, without `.` or `..`, of plain characters.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count < 100, !path.hasPrefix("/") else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")
        guard path.allSatisfy(allowed.contains) else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }

    /// Appends `file` to the archive as `path`; its SHA-256, for the manifest.
    @discardableResult
    static func append(
        _ file: URL, as path: String, to archive: FileHandle, modified: Date, copied: (Int) -> Void = { _ in }
    ) throws -> String {
        guard isSafe(path) else { throw Problem.unsafePath(path) }
        let source = try FileHandle(forReadingFrom: file)
        defer { try? source.close() }
        let size = Int(try source.seekToEnd())
        try source.seek(toOffset: 0)
        try archive.write(contentsOf: header(path: path, size: size, modified: modified))
        var hash = SHA256()
        var written = 0
        while written < size, let data = try source.read(upToCount: min(chunk, size - written)), !data.isEmpty {
            hash.update(data: data)
            try archive.write(contentsOf: data)
            written += data.count
            copied(data.count)
        }
        guard written == size else { throw Problem.truncated }
        try archive.write(contentsOf: Data(count: (block - size % block) % block))
        return Hex.lowercase(hash.finalize())
    }

    static func finish(_ archive: FileHandle) throws {
        try archive.write(contentsOf: Data(count: 2 * block))
    }

    /// Reads the archive's entries in order, handing each one's path and size to `open`, which
    /// returns where its contents go; the SHA-256 of each entry is returned by path.
    static func extract(_ archive: FileHandle, open: (String, Int) throws -> FileHandle) throws -> [String: String] {
        var hashes: [String: String] = [:]
        while true {
            guard let header = try archive.read(upToCount: block), header.count == block else { throw Problem.truncated }
            let bytes = [UInt8](header)
            if bytes.allSatisfy({ $0 == 0 }) { return hashes }
            guard Array(bytes[257..<262]) == Array("ustar".utf8) else { throw Problem.badHeader("no ustar header") }
            guard let stored = octal(bytes[148..<156]), stored == checksum(bytes) else {
                throw Problem.badHeader("a header's checksum does not match")
            }
            guard bytes[156] == UInt8(ascii: "0") || bytes[156] == 0 else {
                throw Problem.badHeader("an entry that is not a regular file")
            }
            let path = String(decoding: bytes[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            guard isSafe(path), hashes[path] == nil else { throw Problem.unsafePath(path) }
            guard let size = octal(bytes[124..<136]) else { throw Problem.badHeader("a size that is not a number") }
            let destination = try open(path, size)
            defer { try? destination.close() }
            var hash = SHA256()
            var remaining = size
            while remaining > 0 {
                guard let data = try archive.read(upToCount: min(chunk, remaining)), !data.isEmpty else {
                    throw Problem.truncated
                }
                hash.update(data: data)
                try destination.write(contentsOf: data)
                remaining -= data.count
            }
            let padding = (block - size % block) % block
            if padding > 0 {
                guard let pad = try archive.read(upToCount: padding), pad.count == padding else { throw Problem.truncated }
            }
            hashes[path] = Hex.lowercase(hash.finalize())
        }
    }

    private static func header(path: String, size: Int, modified: Date) -> Data {
        var header = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at start: Int) {
            for (index, byte) in text.utf8.enumerated() { header[start + index] = byte }
        }
        put(path, at: 0)
        put("0000600\0", at: 100)
        put("0000000\0", at: 108)
        put("0000000\0", at: 116)
        put(String(format: "%011o\0", size), at: 124)
        put(String(format: "%011o\0", Int(max(0, modified.timeIntervalSince1970))), at: 136)
        put("        ", at: 148)
        header[156] = UInt8(ascii: "0")
        put("ustar\000", at: 257)
        put(String(format: "%06o\0 ", checksum(header)), at: 148)
        return Data(header)
    }

    /// The sum of the header's bytes, its checksum field counted as spaces.
    private static func checksum(_ header: [UInt8]) -> Int {
        header.enumerated().reduce(0) { sum, item in
            sum + ((148..<156).contains(item.offset) ? 32 : Int(item.element))
        }
    }

    private static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: field.drop { $0 == 32 }.prefix { $0 != 0 && $0 != 32 }, as: UTF8.self)
        guard !text.isEmpty, text.count <= 11, let value = Int(text, radix: 8), value >= 0 else { return nil }
        return value
    }
}
