import Foundation
import NIOSSL
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
    let tls: NIOSSLContext?
    public let policy: OutboundAddressPolicy
    let httpPort: Int
    let httpsPort: Int
    let timeout: TimeInterval
    let maximumBytes: Int

    public init(
        policy: OutboundAddressPolicy, httpPort: Int = 80, httpsPort: Int = 443, timeout: TimeInterval = 5,
        maximumBytes: Int = 5000
    ) {
        tls = PinnedFetch.makeTLSContext()
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
            guard scheme == "http" || tls != nil else { throw WebFetchFailure.connection("TLS is not available") }
            let answer = try await PinnedFetch.get(
                address: address, port: port, host: host, path: currentPath, tls: scheme == "https" ? tls : nil,
                timeout: timeout, maximumBytes: maximumBytes)
            let (status, location, body) = (answer.status, answer.location, answer.body)
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
                let nextPath = next.path(percentEncoded: true)
                currentPath =
                    (nextPath.isEmpty ? "/" : nextPath) + (next.query(percentEncoded: true).map { "?\($0)" } ?? "")
                continue
            }
            guard (200..<300).contains(status) else { throw WebFetchFailure.status(status) }
            return body
        }
        throw WebFetchFailure.tooManyRedirects
    }
}
