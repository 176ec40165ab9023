import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SignetCore

/// Why an HTTP validation fetch failed.
public enum WebFetchFailure: Error, Sendable, Equatable {
    /// The host has no address, or none that the outbound policy allows.
    case refused(OutboundRefusal)
    case connection(String)
    case timeout
    case status(Int)
    case redirectToOtherHost(String)
    case tooManyRedirects
}

/// Fetches `http(s)://<name>/<path>` for HTTP validation: each hop's name is resolved through
/// Signet's resolver and checked by the outbound policy, and the connection goes to exactly that
/// address (the name stays in the Host header and SNI); ports are configurable; redirects are
/// followed only within the same host (at most five); time and body size are bounded; TLS
/// certificates are not judged (a site may validate before it has a certificate, which is the point).
public final class WebFetcher: Sendable {
    let configuration: HTTPClient.Configuration
    public let policy: OutboundAddressPolicy
    let httpPort: Int
    let httpsPort: Int
    let timeout: TimeInterval
    let maximumBytes: Int

    public init(
        policy: OutboundAddressPolicy, httpPort: Int = 80, httpsPort: Int = 443, timeout: TimeInterval = 5,
        maximumBytes: Int = 5000
    ) {
        var configuration = HTTPClient.Configuration(
            certificateVerification: .none, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(timeout)), read: .seconds(Int64(timeout))))
        configuration.decompression = .disabled
        self.configuration = configuration
        self.policy = policy
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.timeout = timeout
        self.maximumBytes = maximumBytes
    }

    public func shutdown() async throws {}

    /// The start of the body (at most `maximumBytes`) of a 2xx answer.
    ///
    /// - Parameter targets: the naming policy of the container whose name is checked: the private
    ///   addresses it lists may be reached (docs/private-pki.md).
    public func get(
        host: String, path: String, https: Bool, followRedirects: Bool = true, targets: NamePolicy = .public
    ) async throws -> String {
        var scheme = https ? "https" : "http"
        var currentPath = path
        // An IPv6 address stands in brackets in a URL and its Host header.
        let urlHost = host.contains(":") ? "[\(host)]" : host
        for _ in 0...5 {
            let address: IPAddress
            do {
                address = try await policy.address(for: host, targets: targets)
            } catch {
                throw WebFetchFailure.refused(error)
            }
            let port = scheme == "https" ? httpsPort : httpPort
            if policy.ownListener?.isListener(address, port: port) == true {
                throw WebFetchFailure.refused(.ownListener(host: host))
            }
            var request = HTTPClientRequest(url: "\(scheme)://\(urlHost):\(port)\(currentPath)")
            request.headers.replaceOrAdd(name: "User-Agent", value: "Signet DCV")
            let (status, location, body) = try await fetch(request, connectingTo: address, host: host)
            if (300..<400).contains(status) {
                guard followRedirects, let location,
                    let next = URL(string: location, relativeTo: URL(string: "\(scheme)://\(urlHost)\(currentPath)"))?
                        .absoluteURL,
                    let nextScheme = next.scheme, ["http", "https"].contains(nextScheme)
                else { throw WebFetchFailure.status(status) }
                guard next.host?.lowercased() == host.lowercased() || next.host?.lowercased() == urlHost.lowercased() else {
                    throw WebFetchFailure.redirectToOtherHost(location)
                }
                scheme = nextScheme
                currentPath = next.path.isEmpty ? "/" : next.path + (next.query.map { "?\($0)" } ?? "")
                continue
            }
            guard (200..<300).contains(status) else { throw WebFetchFailure.status(status) }
            return body
        }
        throw WebFetchFailure.tooManyRedirects
    }

    /// One request on a client of its own whose only route to `host` is `address`.
    private func fetch(
        _ request: HTTPClientRequest, connectingTo address: IPAddress, host: String
    ) async throws
        -> (status: Int, location: String?, body: String)
    {
        var configuration = self.configuration
        configuration.dnsOverride = [host: address.description]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let outcome: Result<(status: Int, location: String?, body: String), WebFetchFailure>
        do {
            outcome = .success(
                try await withTimeout(timeout, error: WebFetchFailure.timeout) { [timeout, maximumBytes] in
                    let response = try await client.execute(request, timeout: .seconds(Int64(timeout)))
                    var body: [UInt8] = []
                    if (200..<300).contains(Int(response.status.code)) {
                        for try await chunk in response.body {
                            body += chunk.readableBytesView.prefix(maximumBytes - body.count)
                            if body.count >= maximumBytes { break }
                        }
                    }
                    return (
                        Int(response.status.code), response.headers.first(name: "Location"),
                        String(decoding: body, as: UTF8.self)
                    )
                })
        } catch let failure as WebFetchFailure {
            outcome = .failure(failure)
        } catch {
            outcome = .failure(.connection("\(error)"))
        }
        try? await client.shutdown()
        return try outcome.get()
    }
}
