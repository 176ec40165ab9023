/// Text a client wants in a certificate subject (an organization's name or address, a person's
/// name, a department): it must read as what it is. Control characters, format characters such as
/// the bidirectional overrides (U+202E makes `moc.elgoog` display as `google.com`), private-use,
/// unassigned and surrogate code points, and line or paragraph separators are refused, as are
/// leading and trailing spaces.
public enum SubjectText {
    /// Why `value` may not appear in a subject; `nil` when it may.
    public static func problem(_ value: String) -> String? {
        if let first = value.unicodeScalars.first, let last = value.unicodeScalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        {
            return "it starts or ends with a space"
        }
        for scalar in value.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .privateUse, .surrogate, .unassigned, .lineSeparator, .paragraphSeparator:
                let code = String(scalar.value, radix: 16, uppercase: true)
                return "it holds the non-printable character U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)"
            default:
                continue
            }
        }
        return nil
    }

    /// Checks `value` for the subject field `field`, at most `maximumLength` characters (X.520 bounds).
    public static func check(_ value: String, field: String, maximumLength: Int = 64) throws(OrderRuleError) {
        if let problem = problem(value) { throw .invalidValue(field: field, reason: "\(problem)") }
        guard value.count <= maximumLength else {
            throw .invalidValue(field: field, reason: "at most \(maximumLength) characters")
        }
    }
}
