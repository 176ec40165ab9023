import Foundation
import SignetCore
import SignetStore
import SignetValidation

/// The operator's ACME command: External Account Binding keys (`signet acme eab create`).
extension Administration {
    /// A new EAB key for `containerID`: its id and its HMAC key (base64url), shown once.
    /// - Parameter organizationID: the organization the account's OV and EV orders are for (an
    ///   ACME profile of an OV or EV product needs one); it must belong to the container.
    public func createACMEExternalAccountKey(
        containerID: Int, productNameID: String?, organizationID: Int? = nil, requiresApproval: Bool
    ) async throws -> (keyID: String, hmacKey: String) {
        if let productNameID {
            guard ProductCatalog.product(nameID: productNameID)?.isTLS == true else {
                throw OrderRuleError.unknownProduct(productNameID)
            }
        }
        let hmacKey = Base64URL.encode(SecureRandom.bytes(32))
        let keyID = "kid-" + RandomValue.make().prefix(20)
        let sealed = try sealer.seal(hmacKey)
        let now = clock.now()
        try await store.write { connection in
            guard try connection.container(id: containerID) != nil else { throw WorkflowError.containerNotFound(containerID) }
            if let organizationID {
                guard try connection.organization(id: organizationID)?.containerID == containerID else {
                    throw WorkflowError.organizationNotFound(organizationID)
                }
            }
            _ = try connection.insertACMEExternalAccountKey(
                keyID: keyID, sealedKey: sealed, containerID: containerID, productNameID: productNameID,
                organizationID: organizationID, requiresApproval: requiresApproval, at: now)
        }
        return (keyID, hmacKey)
    }
}
