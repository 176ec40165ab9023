import Foundation

/// Checks of internationalized labels (IDNA2008, RFC 5890–5892), as far as a CA must make them.
///
/// An A-label is valid when its Punycode decodes, encodes back to exactly the same text, and
/// the decoded U-label is something IDNA2008 could have produced: non-ASCII, in NFC, lower case,
/// made of letters, marks, digits and inner hyphens, not starting with a combining mark, and
/// without hyphens in the third and fourth positions. Anything else (`xn--zz`, a label that hides
/// a right-to-left override or a space) is not a domain a registry would have delegated.
public enum IDNLabel {
    public static func isValidALabel(_ label: Substring) -> Bool {
        guard label.hasPrefix("xn--") else { return false }
        let encoded = label.dropFirst(4)
        guard !encoded.isEmpty, let scalars = Punycode.decode(encoded), !scalars.isEmpty,
            scalars.contains(where: { !$0.isASCII }),
            Punycode.encode(scalars) == String(encoded).lowercased()
        else { return false }
        return isValidULabel(scalars)
    }

    static func isValidULabel(_ scalars: [Unicode.Scalar]) -> Bool {
        guard let first = scalars.first, let last = scalars.last, first != "-", last != "-" else { return false }
        if scalars.count >= 4, scalars[2] == "-", scalars[3] == "-" { return false }
        if isMark(first) { return false }
        let text = String(String.UnicodeScalarView(scalars))
        guard Array(text.precomposedStringWithCanonicalMapping.unicodeScalars) == scalars else { return false }
        return scalars.allSatisfy { scalar in
            if scalar == "-" { return true }
            if scalar.isASCII { return ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
            switch scalar.properties.generalCategory {
            case .lowercaseLetter, .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark, .enclosingMark,
                .decimalNumber:
                return !scalar.properties.changesWhenLowercased
            default:
                return false
            }
        }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}
