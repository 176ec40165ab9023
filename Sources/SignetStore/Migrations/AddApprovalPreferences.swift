/// CertCentral's two approval preferences (docs.digicert.com, "Skip the approval step for certificate
/// requests" and "Automatically approve certificate requests when the requester is also an
/// approver"): the approval step (`one-step`, the default, or `skip`) and the automatic approval of an
/// approver's own requests (off by default).
struct AddApprovalPreferences: SchemaMigration {
    var name: String { "signet.AddApprovalPreferences.v11" }

    func prepare(_ schema: SchemaEditor) throws {
        try schema.addColumn("account", "approval_step", .text, required: true, default: "'one-step'")
        try schema.addColumn("account", "auto_approve_approvers", .bool, required: true, default: "FALSE")
    }
}
