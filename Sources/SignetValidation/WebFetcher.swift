import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Why an HTTP validation fetch failed.
public enum WebFetchFailure: Error, Sendable, Equatable {
    case noAddress(String)
    case connection(String)
    case timeout
    case status(Int)
    case redirectToOtherHost(String)
    case tooManyRedirects
}

/// Fetches `http(s)://<name>/<path>` for HTTP validation: the name is resolved through Signet's
/// resolver (so tests can point it at loopback), ports are configurable, redirects are followed
/// only within the same host (at most five), time and body size are bounded, and TLS certificates
/// are not judged (a site may validate before it has a certificate, which is the point).
public final class WebFetcher: Sendable {
    let client: HTTPClient
    let resolver: any DNSResolver
    let httpPort: Int
    let httpsPort: Int
    let timeout: TimeInterval
    let maximumBytes: Int

    public init(resolver: any DNSResolver, httpPort: Int = 80, httpsPort: Int = 443, timeout: TimeInterval = 5, maximumBytes: Int = 5000) {
        var configuration = HTTPClient.Configuration(
            certificateVerification: .none, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(timeout)), read: .seconds(Int64(timeout))))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.resolver = resolver
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.timeout = timeout
        self.maximumBytes = maximumBytes
    }

    public func shutdown() async throws { try await client.shutdown() }

    /// The start of the body (at most `maximumBytes`) of a 2xx answer.
    public func get(host: String, path: String, https: Bool, followRedirects: Bool = true) async throws -> String {
        var scheme = https ? "https" : "http"
        var currentPath = path
        for _ in 0...5 {
            let address = try await resolve(host)
            let port = scheme == "https" ? httpsPort : httpPort
            var request = HTTPClientRequest(url: "\(scheme)://\(address):\(port)\(currentPath)")
            request.headers.replaceOrAdd(name: "Host", value: host)
            request.headers.replaceOrAdd(name: "User-Agent", value: "Signet DCV")
            let response: HTTPClientResponse
            do {
                let prepared = request
                response = try await withTimeout(timeout, error: WebFetchFailure.timeout) { [client, timeout] in
                    try await client.execute(prepared, timeout: .seconds(Int64(timeout)))
                }
            } catch let failure as WebFetchFailure {
                throw failure
            } catch {
                throw WebFetchFailure.connection("\(error)")
            }
            if (300..<400).contains(Int(response.status.code)) {
                guard followRedirects, let location = response.headers.first(name: "Location"),
                    let next = URL(string: location, relativeTo: URL(string: "\(scheme)://\(host)\(currentPath)"))?.absoluteURL,
                    let nextScheme = next.scheme, ["http", "https"].contains(nextScheme)
                else { throw WebFetchFailure.status(Int(response.status.code)) }
                guard next.host?.lowercased() == host.lowercased() else {
                    throw WebFetchFailure.redirectToOtherHost(location)
                }
                scheme = nextScheme
                currentPath = next.path.isEmpty ? "/" : next.path + (next.query.map { "?\($0)" } ?? "")
                continue
            }
            guard (200..<300).contains(Int(response.status.code)) else { throw WebFetchFailure.status(Int(response.status.code)) }
            return try await withTimeout(timeout, error: WebFetchFailure.timeout) { [maximumBytes] in
                var body: [UInt8] = []
                for try await chunk in response.body {
                    body += chunk.readableBytesView.prefix(maximumBytes - body.count)
                    if body.count >= maximumBytes { break }
                }
                return String(decoding: body, as: UTF8.self)
            }
        }
        throw WebFetchFailure.tooManyRedirects
    }

    /// An IPv4 address of `host` (or IPv6 in brackets), through Signet's resolver.
    func resolve(_ host: String) async throws -> String {
        for type in [DNSRecordType.a, .aaaa] {
            let response: DNSResponse
            do {
                response = try await resolver.query(host, type: type)
            } catch {
                throw WebFetchFailure.noAddress("\(host): \(error)")
            }
            for record in response.records(type) {
                guard case .address(let bytes) = record.data else { continue }
                if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
                if bytes.count == 16 {
                    let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                    return "[\(groups.joined(separator: ":"))]"
                }
            }
        }
        throw WebFetchFailure.noAddress(host)
    }
}
