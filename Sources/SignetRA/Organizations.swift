import Foundation
import SignetCore
import SignetStore

extension RegistrationAuthority {
    /// `POST /organization`: a new organization in a container the caller can see.
    public func createOrganization(
        _ details: OrganizationDetails, containerID: Int, by principal: Principal
    ) async throws
        -> Organization
    {
        let now = clock.now()
        return try await store.write { connection in
            guard try connection.container(id: containerID) != nil, principal.canSee(containerID: containerID) else {
                throw OrderRuleError.unknownContainer(containerID)
            }
            return try connection.createOrganization(details, containerID: containerID, at: now)
        }
    }
}
