import Foundation
import SignetCore
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
        response.body = .init(data: try encoder.encode(value))
        return response
    }

    /// `2016-03-25T21:01:40+00:00`
    static func timestamp(_ date: Date) -> String {
        let (day, seconds) = split(date)
        return "\(day)T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))+00:00"
    }

    /// `2016-03-25`
    static func day(_ date: Date) -> String { split(date).day }

    /// Whole days from `now` until `end`, never negative.
    static func daysRemaining(until end: Date, now: Date) -> Int {
        max(0, Int((end.timeIntervalSince(now) / 86_400).rounded(.down)))
    }

    private static func split(_ date: Date) -> (day: String, seconds: Int) {
        let epoch = Int(date.timeIntervalSince1970.rounded(.down))
        let days = epoch >= 0 ? epoch / 86_400 : (epoch - 86_399) / 86_400
        let seconds = epoch - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm), without Calendar's cost.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return ("\(year)-\(pad(month))-\(pad(dayOfMonth))", seconds)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
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
