import Foundation

/// What a test double prints once it answers (`signet serve --ephemeral`): one JSON line with
/// everything a suite needs to talk to it (docs/test-double.md).
public struct ReadyReport: Sendable, Encodable {
    public let url: String
    public let adminAPIKey: String
    public let rootCertificate: String
    public let data: String
    public let certcentral: String
    public let reseller: String
    public let acmeDirectory: String
    public let management: String
    public let pid: Int32

    init(configuration: SignetConfiguration, adminAPIKey: String) {
        let url =
            configuration.effectivePublicURL.hasSuffix("/")
            ? String(configuration.effectivePublicURL.dropLast()) : configuration.effectivePublicURL
        self.url = url
        self.adminAPIKey = adminAPIKey
        rootCertificate = configuration.caDirectory.appendingPathComponent("root.crt").path
        data = configuration.dataDirectory.path
        certcentral = url + "/services/v2"
        reseller = url + "/api/v1"
        acmeDirectory = url + "/acme/directory"
        management = url + "/test-double"
        pid = ProcessInfo.processInfo.processIdentifier
    }

    /// The report as one line of JSON, keys in snake case.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}

/// A free TCP port on `host`, for `--port 0`: chosen before the server is configured, so that the
/// public URL, the own-listener guard and the ready report all know it.
enum FreePort {
    static func pick(host: String) throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw StartupError.port("no socket for --port 0") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host == "0.0.0.0" || host == "localhost" ? "127.0.0.1" : host)
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw StartupError.port("no free port on \(host) for --port 0") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
