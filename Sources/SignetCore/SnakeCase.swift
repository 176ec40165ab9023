import Foundation

/// Snake-case names for Swift property names (`orderValidTill` → `order_valid_till`), each
/// converted once and then looked up. Both dialects' JSON and the database's columns use them;
/// the encoders' own conversions inspect Unicode properties of every character of every key of
/// every value, which was a fifth of the time of an order list.
public enum SnakeCase {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]

    public static func name(for property: String) -> String {
        if let known = lock.withLock({ cache[property] }) { return known }
        let name = converted(property)
        lock.withLock { cache[property] = name }
        return name
    }

    /// A word starts at a capital that follows a lower-case letter or a digit, or that ends a run
    /// of capitals before a lower-case letter (`orderID` → `order_id`, `dcvJSONText` → `dcv_json_text`).
    public static func converted(_ property: String) -> String {
        let characters = Array(property)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result.append("_")
                }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }

    /// The snake-case key for the last key of a coding path: the key strategy of the JSON
    /// encoder and of the store's row coders.
    @Sendable public static func key(for path: [any CodingKey]) -> any CodingKey {
        Key(name(for: path.last?.stringValue ?? ""))
    }

    /// A coding key with a given name.
    public struct Key: CodingKey {
        public let stringValue: String
        public var intValue: Int? { nil }
        public init(_ name: String) { stringValue = name }
        public init?(stringValue: String) { self.stringValue = stringValue }
        public init?(intValue: Int) { nil }
    }
}
