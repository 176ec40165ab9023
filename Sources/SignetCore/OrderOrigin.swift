/// The front end that placed an order: its events go to that dialect alone (a reseller callback
/// is never looked up for an order placed through CertCentral).
public struct OrderOrigin: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let certCentral = OrderOrigin(rawValue: "certcentral")
    public static let reseller = OrderOrigin(rawValue: "reseller")
    public static let acme = OrderOrigin(rawValue: "acme")
    /// Orders the server places itself (automatic renewals keep their original's origin).
    public static let signet = OrderOrigin(rawValue: "signet")

    public var description: String { rawValue }
}
