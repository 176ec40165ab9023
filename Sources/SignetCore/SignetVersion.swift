/// Signet's version: `signet --version`, `/healthz`, the `Server` header. Raised with each release.
public enum SignetVersion {
    public static let current = "0.7.0"
}
