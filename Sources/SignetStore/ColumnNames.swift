import Foundation
import SQLKit

/// Column names for the records' property names (`orderValidTill` → `order_valid_till`), each
/// converted once. SQLKit's own snake-case conversion looks up Unicode properties of every
/// character of every column of every row it decodes: a tenth of the time of an order list.
enum ColumnNames {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]

    static let decoding = SQLRowDecoder.KeyDecodingStrategy.custom { path in Column(column(for: path.last!.stringValue)) }
    static let encoding = SQLQueryEncoder.KeyEncodingStrategy.custom { path in Column(column(for: path.last!.stringValue)) }

    static func column(for name: String) -> String {
        if let known = lock.withLock({ cache[name] }) { return known }
        let column = snakeCased(name)
        lock.withLock { cache[name] = column }
        return column
    }

    /// `orderID` → `order_id`, `dcvJson` → `dcv_json`: a word starts at a capital that follows a
    /// lower-case letter or digit, or that ends a run of capitals before a lower-case letter.
    static func snakeCased(_ name: String) -> String {
        let characters = Array(name)
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

    private struct Column: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
