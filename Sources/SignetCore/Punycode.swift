/// Punycode (RFC 3492), the encoding behind internationalized domain labels (`xn--…` A-labels).
///
/// Signet decodes every A-label a client sends, so that a label that only looks like one
/// (`xn--zz`, which decodes to nothing valid) is refused instead of being certified, and encodes
/// the Unicode TLDs of the Public Suffix List into the form certificates carry. All arithmetic is
/// checked: a hostile label yields `nil`, never a trap.
public enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 128

    /// The Unicode scalars encoded by the part of a label after `xn--`; `nil` when it is not valid Punycode.
    public static func decode(_ encoded: Substring) -> [Unicode.Scalar]? {
        let input = Array(encoded.utf8)
        var output: [Unicode.Scalar] = []
        var basicEnd = 0
        if let delimiter = input.lastIndex(of: UInt8(ascii: "-")), delimiter > 0 {
            for byte in input[..<delimiter] {
                guard byte < 0x80, let scalar = Unicode.Scalar(UInt32(byte)) else { return nil }
                output.append(scalar)
            }
            basicEnd = delimiter + 1
        }
        var n = initialN
        var i = 0
        var bias = initialBias
        var position = basicEnd
        while position < input.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard position < input.count, let digit = digitValue(input[position]) else { return nil }
                position += 1
                guard let product = checkedMultiply(digit, w), let sum = checkedAdd(i, product) else { return nil }
                i = sum
                let t = threshold(k, bias)
                if digit < t { break }
                guard let next = checkedMultiply(w, base - t) else { return nil }
                w = next
                k += base
            }
            let length = output.count + 1
            bias = adapt(i - oldI, length: length, first: oldI == 0)
            guard let step = checkedAdd(n, i / length) else { return nil }
            n = step
            i %= length
            guard n <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(n)) else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }
        return output
    }

    /// The Punycode of `scalars` (without `xn--`); `nil` if it would overflow.
    public static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        var output: [UInt8] = scalars.filter(\.isASCII).map { UInt8($0.value) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < scalars.count {
            guard let m = scalars.map({ Int($0.value) }).filter({ $0 >= n }).min(),
                let growth = checkedMultiply(m - n, handled + 1), let added = checkedAdd(delta, growth)
            else { return nil }
            delta = added
            n = m
            for scalar in scalars {
                let value = Int(scalar.value)
                if value < n {
                    guard let next = checkedAdd(delta, 1) else { return nil }
                    delta = next
                }
                guard value == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = threshold(k, bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, length: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The A-label of a Unicode label (`中国` → `xn--fiqs8s`); ASCII labels are returned as they are.
    public static func aLabel(_ label: Substring) -> String? {
        let scalars = Array(label.unicodeScalars)
        guard scalars.contains(where: { !$0.isASCII }) else { return String(label) }
        return encode(scalars).map { "xn--" + $0 }
    }

    private static func threshold(_ k: Int, _ bias: Int) -> Int {
        k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
    }

    private static func adapt(_ delta: Int, length: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / length
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (((base - tMin + 1) * delta) / (delta + skew))
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(byte - UInt8(ascii: "a"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0")) + 26
        default: return nil
        }
    }

    private static func digit(_ value: Int) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }

    private static func checkedAdd(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow || result > Int(Int32.max) ? nil : result
    }

    private static func checkedMultiply(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow || result > Int(Int32.max) ? nil : result
    }
}
