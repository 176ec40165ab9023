import Testing

@testable import SignetCore
@testable import SignetTestSupport

/// The order and certificate lifecycles as tables, without a database: every status against every
/// step, and the effects that must go with each change.
@Suite("Order and certificate lifecycles")
struct OrderLifecycleTests {
    static let steps: [OrderLifecycle.Step] = [
        .approve, .issue(.primary), .issue(.reissue), .issue(.duplicate), .requestReissue, .withdrawReissue,
        .withdraw(as: .canceled), .withdraw(as: .rejected), .revoke(.keyCompromise),
    ]

    @Test("Exactly these steps apply, and each leads where CertCentral's statuses say")
    func orderTable() throws {
        var allowed: [String] = []
        for status in OrderStatus.allCases {
            for step in Self.steps {
                if let (next, _) = try? OrderLifecycle.transition(from: status, step) {
                    allowed.append("\(status.rawValue) --\(step)--> \(next.rawValue)")
                }
            }
        }
        #expect(
            allowed.sorted() == [
                "issued --issue(SignetCore.CertificateRole.duplicate)--> issued",
                "issued --issue(SignetCore.CertificateRole.reissue)--> issued",
                "issued --requestReissue--> reissue_pending",
                "issued --revoke(SignetCore.RevocationReason.keyCompromise)--> revoked",
                "needs_approval --approve--> pending",
                "needs_approval --withdraw(as: SignetCore.OrderLifecycle.Withdrawal.canceled)--> canceled",
                "needs_approval --withdraw(as: SignetCore.OrderLifecycle.Withdrawal.rejected)--> rejected",
                "pending --issue(SignetCore.CertificateRole.primary)--> issued",
                "pending --withdraw(as: SignetCore.OrderLifecycle.Withdrawal.canceled)--> canceled",
                "pending --withdraw(as: SignetCore.OrderLifecycle.Withdrawal.rejected)--> rejected",
                "reissue_pending --issue(SignetCore.CertificateRole.duplicate)--> reissue_pending",
                "reissue_pending --issue(SignetCore.CertificateRole.reissue)--> issued",
                "reissue_pending --revoke(SignetCore.RevocationReason.keyCompromise)--> revoked",
                "reissue_pending --withdrawReissue--> issued",
            ], "\(allowed.sorted().joined(separator: "\n"))")
    }

    @Test("Terminal statuses take no step at all")
    func terminal() {
        for status in [OrderStatus.canceled, .rejected, .revoked, .expired] {
            for step in Self.steps {
                #expect(throws: OrderLifecycle.Refusal(status: status, step: step)) {
                    try OrderLifecycle.transition(from: status, step)
                }
            }
        }
    }

    @Test(
        "Effects: issuing notifies; withdrawing cancels, rejects, stops checks and frees the renewed order; revoking revokes with the reason"
    )
    func effects() throws {
        #expect(try OrderLifecycle.transition(from: .pending, .issue(.primary)).1 == [.notify(.issued)])
        #expect(try OrderLifecycle.transition(from: .issued, .issue(.duplicate)).1 == [])
        #expect(try OrderLifecycle.transition(from: .needsApproval, .approve).1 == [])
        #expect(
            try OrderLifecycle.transition(from: .pending, .withdraw(as: .canceled)).1 == [
                .cancelUnissuedCertificates, .rejectOpenRequests, .stopDomainChecks, .unlinkRenewal,
            ])
        #expect(try OrderLifecycle.transition(from: .reissuePending, .withdrawReissue).1 == [.cancelUnissuedReissues])
        #expect(
            try OrderLifecycle.transition(from: .issued, .revoke(.superseded)).1 == [
                .revokeIssuedCertificates(.superseded), .cancelUnissuedCertificates, .rejectOpenRequests, .notify(.revoked),
            ])
        #expect(OrderLifecycle.opened(approved: true) == .pending && OrderLifecycle.opened(approved: false) == .needsApproval)
    }

    @Test("Certificates: requested, approved or rejected, issued once, revoked once; cancelled only before issuance")
    func certificateTable() throws {
        let steps: [CertificateLifecycle.Step] = [.approve, .reject, .cancel, .issue, .revoke]
        var allowed: [String] = []
        for status in CertificateStatus.allCases {
            for step in steps {
                if let next = try? CertificateLifecycle.transition(from: status, step) {
                    allowed.append("\(status.rawValue) --\(step)--> \(next.rawValue)")
                }
            }
        }
        #expect(
            allowed.sorted() == [
                "approved --cancel--> canceled", "approved --issue--> issued", "issued --revoke--> revoked",
                "pending --approve--> approved", "pending --cancel--> canceled", "pending --reject--> rejected",
            ])
        #expect(CertificateLifecycle.requested(approved: true) == .approved)
    }
}
