/// How names and organizations count as validated.
public enum DCVMode: String, Sendable, CaseIterable {
    /// Names need a validated domain and OV/EV orders a validated organization.
    case checked
    /// Test-double mode: every name and organization counts as validated. Logged loudly at start.
    case alwaysValid = "always-valid"
}
