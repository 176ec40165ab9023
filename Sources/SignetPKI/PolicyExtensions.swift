import SignetCore
import SwiftASN1
import X509

/// Encoders for the two extensions swift-certificates has no type for:
/// certificate policies (RFC 5280 4.2.1.4) and CRL distribution points (4.2.1.13).
enum PolicyExtensions {
    static let certificatePoliciesOID: ASN1ObjectIdentifier = [2, 5, 29, 32]
    static let crlDistributionPointsOID: ASN1ObjectIdentifier = [2, 5, 29, 31]

    /// `certificatePolicies`: one PolicyInformation per OID, without qualifiers (the BRs discourage them).
    static func certificatePolicies(_ oids: [ASN1ObjectIdentifier]) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { policies in
            for oid in oids {
                try policies.appendConstructedNode(identifier: .sequence) { information in
                    try information.serialize(oid)
                }
            }
        }
        return Certificate.Extension(oid: certificatePoliciesOID, critical: false, value: serializer.serializedBytes[...])
    }

    /// `cRLDistributionPoints` with one distribution point holding one URI full name.
    static func crlDistributionPoint(uri: String) -> Certificate.Extension {
        let contextZero = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
        let uriTag = ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific)
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: .sequence) { points in
            points.appendConstructedNode(identifier: .sequence) { point in
                // distributionPoint [0] (explicit: DistributionPointName is a CHOICE)
                point.appendConstructedNode(identifier: contextZero) { name in
                    // fullName [0] IMPLICIT GeneralNames
                    name.appendConstructedNode(identifier: contextZero) { names in
                        names.appendPrimitiveNode(identifier: uriTag) { $0.append(contentsOf: uri.utf8) }
                    }
                }
            }
        }
        return Certificate.Extension(oid: crlDistributionPointsOID, critical: false, value: serializer.serializedBytes[...])
    }
}

/// Policy identifiers of the CA/Browser Forum (Baseline Requirements 7.1.6.1, S/MIME BR 7.1.6.1).
enum PolicyOID {
    static let domainValidated: ASN1ObjectIdentifier = [2, 23, 140, 1, 2, 1]
    static let organizationValidated: ASN1ObjectIdentifier = [2, 23, 140, 1, 2, 2]
    static let extendedValidation: ASN1ObjectIdentifier = [2, 23, 140, 1, 1]
    /// RFC 5280 4.2.1.4: any policy.
    static let anyPolicy: ASN1ObjectIdentifier = [2, 5, 29, 32, 0]
    /// S/MIME "multipurpose" generations; the legacy ones may not be issued since 2025-07-15.
    static let mailboxValidatedMultipurpose: ASN1ObjectIdentifier = [2, 23, 140, 1, 5, 1, 2]
    static let organizationValidatedMultipurpose: ASN1ObjectIdentifier = [2, 23, 140, 1, 5, 2, 2]
    static let sponsorValidatedMultipurpose: ASN1ObjectIdentifier = [2, 23, 140, 1, 5, 3, 2]

    /// The reserved policy of an S/MIME certificate type, multipurpose generation.
    static func smime(_ type: SMIMEValidationType) -> ASN1ObjectIdentifier {
        switch type {
        case .mailbox: return mailboxValidatedMultipurpose
        case .organization: return organizationValidatedMultipurpose
        case .sponsor: return sponsorValidatedMultipurpose
        }
    }
}
