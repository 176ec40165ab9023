/// What an S/MIME certificate asserts about its subject: the S/MIME Baseline Requirements'
/// certificate types (1.3), each issued in the multipurpose generation (the legacy one may not be
/// issued since 2025-07-15).
public enum SMIMEValidationType: String, Sendable, CaseIterable {
    /// Only the mailbox: the subject is the common name, one of the certificate's addresses.
    case mailbox
    /// A legal entity's mailbox: the organization, its identifier and departments, and a mailbox as
    /// common name. Chosen for an organization's order that names no person (seed 001 as printed).
    case organization
    /// A person affiliated with the organization: the organization's fields plus the person's given
    /// name and surname, which the subscriber sent (`first_name`, `last_name`).
    case sponsor

    /// The type of a certificate of `product` whose subject does or does not name a person; `nil`
    /// when the product is not S/MIME.
    public init?(product: Product, namesPerson: Bool) {
        guard product.isSMIME else { return nil }
        if product.validationLevel == .dv {
            self = .mailbox
        } else {
            self = namesPerson ? .sponsor : .organization
        }
    }
}
