import Foundation

/// Times as the APIs write them, in UTC: `2016-03-25T21:01:40+00:00` and `2016-03-25`. Both
/// dialects and the workflow's messages share them; computed without Calendar, whose cost showed in
/// order lists.
public enum APITime {
    /// `2016-03-25T21:01:40+00:00`
    public static func timestamp(_ date: Date) -> String {
        let (day, seconds) = split(date)
        return "\(day)T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))+00:00"
    }

    /// `2016-03-25`
    public static func day(_ date: Date) -> String { split(date).day }

    /// Whole days from `now` until `end`, never negative.
    public static func daysRemaining(until end: Date, now: Date) -> Int {
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
