/// The ICANN section of the Public Suffix List: which names are suffixes under which the public
/// registers domains (`com`, `co.uk`, `*.ck`).
///
/// Signet needs it in three places where "the last two labels" is wrong: a wildcard directly under
/// a public suffix (`*.co.uk`) would cover every registrant's names; a validation of a suffix
/// would count for every domain below it; and the e-mail addresses constructed for validation
/// belong at the registrable domain (`admin@example.co.uk`, never `admin@co.uk`). A TLD the list
/// does not know is not in the public DNS at all. The copy is dated (``version``) and refreshed
/// with `scripts/update-public-suffix-list`.
public struct PublicSuffixList: Sendable {
    // Substrings, so that a name's suffixes are looked up as slices of it, without a copy each.
    private let rules: Set<Substring>
    /// Rules `*.suffix`, stored as `suffix`.
    private let wildcards: Set<Substring>
    /// Rules `!name`, stored as `name`.
    private let exceptions: Set<Substring>
    private let topLevelDomains: Set<String>

    /// The list Signet carries, parsed once.
    public static let shared = PublicSuffixList(rules: icannRules)

    /// Parses rules in the list's own syntax, one per line; Unicode labels become A-labels.
    public init(rules text: String) {
        var rules: Set<Substring> = []
        var wildcards: Set<Substring> = []
        var exceptions: Set<Substring> = []
        var tlds: Set<String> = []
        for line in text.split(separator: "\n") {
            let rule = line.trimmingWhitespace().lowercased()
            guard !rule.isEmpty, !rule.hasPrefix("//") else { continue }
            let labels = rule.split(separator: ".").map { Punycode.aLabel($0) ?? String($0) }
            guard let last = labels.last else { continue }
            tlds.insert(last)
            if labels.first == "*" {
                wildcards.insert(Substring(labels.dropFirst().joined(separator: ".")))
            } else if labels.first?.hasPrefix("!") == true {
                exceptions.insert(Substring(([String(labels[0].dropFirst())] + labels.dropFirst()).joined(separator: ".")))
            } else {
                rules.insert(Substring(labels.joined(separator: ".")))
            }
        }
        self.rules = rules
        self.wildcards = wildcards
        self.exceptions = exceptions
        topLevelDomains = tlds
    }

    /// Whether `tld` (an A-label, lower case) is a top-level domain the list knows.
    public func isKnownTopLevelDomain(_ tld: String) -> Bool { topLevelDomains.contains(tld) }

    /// The number of trailing labels of `name` that form its public suffix (the list's algorithm:
    /// the longest matching rule, exception rules first, `*` when none matches).
    public func suffixLabelCount(of name: some StringProtocol) -> Int {
        // The candidates are the name's suffixes at label boundaries, longest first: slices of one
        // lower-case string, not labels joined again for every candidate (this runs for every name
        // of every order).
        let lowered =
            name.utf8.contains { (0x41...0x5A).contains($0) || $0 >= 0x80 } ? Substring(name.lowercased()) : Substring(name)
        var starts: [String.Index] = []
        var previous = UInt8(ascii: ".")
        var hasEmptyLabel = false
        for index in lowered.utf8.indices {
            let byte = lowered.utf8[index]
            if byte == UInt8(ascii: ".") {
                hasEmptyLabel = hasEmptyLabel || (previous == byte && !starts.isEmpty)
            } else if previous == UInt8(ascii: ".") {
                starts.append(index)
            }
            previous = byte
        }
        hasEmptyLabel = hasEmptyLabel || previous == UInt8(ascii: ".")
        // A suffix from a label start to the end, with empty labels (`a..b`) dropped as `split` did.
        func suffix(_ position: Int) -> Substring {
            let text = lowered[starts[position]...]
            return hasEmptyLabel ? Substring(text.split(separator: ".").joined(separator: ".")) : text
        }
        let count = starts.count
        for position in 0..<count where exceptions.contains(suffix(position)) { return count - position - 1 }
        for position in 0..<count {
            if rules.contains(suffix(position)) { return count - position }
            if position + 1 < count, wildcards.contains(suffix(position + 1)) { return count - position }
        }
        return min(1, count)
    }

    /// Whether `name` is itself a public suffix (`co.uk`, `com`).
    public func isPublicSuffix(_ name: some StringProtocol) -> Bool {
        var count = 0
        var previous = UInt8(ascii: ".")
        for byte in name.utf8 {
            if previous == UInt8(ascii: "."), byte != previous { count += 1 }
            previous = byte
        }
        return count > 0 && suffixLabelCount(of: name) >= count
    }

    /// The registrable domain of `name` (`shop.example.co.uk` → `example.co.uk`); `nil` for a public suffix.
    public func registrableDomain(of name: String) -> String? {
        let labels = name.lowercased().split(separator: ".")
        let keep = suffixLabelCount(of: name) + 1
        guard labels.count >= keep else { return nil }
        return labels.suffix(keep).joined(separator: ".")
    }

    /// `name` and its parents down to its registrable domain: the domains whose control covers `name`
    /// (BR 3.2.2.4's Authorization Domain Names). Empty for a public suffix.
    public func authorizationDomains(of name: String) -> [String] {
        var labels = name.lowercased().split(separator: ".").map(String.init)
        if labels.first == "*" { labels.removeFirst() }
        let minimum = suffixLabelCount(of: labels.joined(separator: ".")) + 1
        var domains: [String] = []
        while labels.count >= minimum {
            domains.append(labels.joined(separator: "."))
            labels.removeFirst()
        }
        return domains
    }
}
