import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// CertCentral's wire conventions: snake_case keys, ISO 8601 timestamps with `+00:00`,
/// `yyyy-MM-dd` days, money as strings with two decimals.
enum CertCentralFormat {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom(SnakeCase.key(for:))
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws -> Response {
        let response = Response(status: status)
        response.headers.contentType = .json
        // The same bytes as `encoder` writes (SortedJSONEncoderTests), for less CPU.
        response.body = .init(data: Data(try SortedJSONEncoder.encode(value)))
        return response
    }

    /// `2016-03-25T21:01:40+00:00`
    static func timestamp(_ date: Date) -> String { APITime.timestamp(date) }

    /// `2016-03-25`
    static func day(_ date: Date) -> String { APITime.day(date) }

    /// Whole days from `now` until `end`, never negative.
    static func daysRemaining(until end: Date, now: Date) -> Int { APITime.daysRemaining(until: end, now: now) }
}

/// The server platforms CertCentral names by id (glossary), for `server_platform` objects.
enum ServerPlatform {
    private static let known: [Int: (name: String, slug: String?)] = [
        -1: ("OTHER", nil), 2: ("Apache", "apache"), 45: ("nginx", "nginx"), 14: ("Microsoft IIS 5 and 6", "iis"),
        40: ("Microsoft IIS 7", "iis7"), 67: ("Microsoft IIS 8", "iis8"), 68: ("Microsoft Exchange Server 2013", "exchange-2013"),
    ]

    struct View: Encodable {
        let id: Int
        let name: String
        let installUrl: String?
        let csrUrl: String?
    }

    static func view(_ id: Int?) -> View {
        let id = id ?? -1
        guard let platform = known[id] else { return View(id: id, name: "OTHER", installUrl: nil, csrUrl: nil) }
        return View(
            id: id, name: platform.name,
            installUrl: platform.slug.map { "http://www.digicert.com/ssl-certificate-installation-\($0).htm" },
            csrUrl: platform.slug.map { "http://www.digicert.com/csr-creation-\($0).htm" })
    }
}
