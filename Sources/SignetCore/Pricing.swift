extension Product {
    /// The price of an order of this product for `names` names over `years` years.
    public func price(nameCount: Int, years: Int) -> Money {
        let extra = max(0, nameCount - 1)
        return Money(cents: (pricePerYear.cents + Int64(extra) * pricePerAdditionalName.cents) * Int64(max(1, years)))
    }

    /// What `count` names beyond those paid for cost over `years`: the one price formula for a
    /// new order's further names, a reissue's added names and a reseller's `add-san`.
    ///
    /// Counts come from clients; the product of price, names and years is computed with overflow
    /// checks, and `nil` means the amount is beyond any balance (the caller refuses the request).
    public func priceOfAdditionalNames(_ count: Int, years: Int) -> Money? {
        guard count >= 0, years >= 0 else { return nil }
        let (perYear, overflowA) = pricePerAdditionalName.cents.multipliedReportingOverflow(by: Int64(count))
        let (total, overflowB) = perYear.multipliedReportingOverflow(by: Int64(years))
        return overflowA || overflowB ? nil : Money(cents: total)
    }
}
