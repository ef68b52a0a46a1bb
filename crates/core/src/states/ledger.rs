//! Business state machines: plans, KYC, contracts, lines, orders, approval requests.

state_machine!(
    /// A catalog plan: sold only while active; a retired plan keeps serving its contracts.
    PlanState, "plan",
    { Draft = "draft" / "inDesign", Active = "active" / "launched", Retired = "retired" / "retired" },
    [(Draft, Active), (Active, Retired)]
);

state_machine!(
    /// Identity verification. Confirming `verified` needs a second person's approval.
    KycState, "KYC",
    { NotStarted = "not_started" / "notStarted", Submitted = "submitted" / "inProgress", Verified = "verified" / "approved", Rejected = "rejected" / "rejected" },
    [(NotStarted, Submitted), (Submitted, Verified), (Submitted, Rejected), (Rejected, Submitted)]
);

state_machine!(
    /// A contract (TMF637 product).
    ContractState, "contract",
    {
        Draft = "draft" / "created",
        Active = "active" / "active",
        Suspended = "suspended" / "suspended",
        Terminating = "terminating" / "pendingTerminate",
        Terminated = "terminated" / "terminated",
    },
    [
        (Draft, Active), (Draft, Terminated),
        (Active, Suspended), (Suspended, Active),
        (Active, Terminating), (Suspended, Terminating), (Terminating, Terminated),
    ]
);

state_machine!(
    /// A line (TMF638 service). In-flight states wait for the carrier; any of them may become
    /// `pending` (the carrier has not answered) or `needs_review` (we and the carrier
    /// disagree: a person decides).
    LineState, "line",
    {
        Requested = "requested" / "reserved",
        Activating = "activating" / "designed",
        Active = "active" / "active",
        Suspending = "suspending" / "active",
        Suspended = "suspended" / "inactive",
        Resuming = "resuming" / "inactive",
        Terminating = "terminating" / "active",
        Terminated = "terminated" / "terminated",
        Pending = "pending" / "feasibilityChecked",
        NeedsReview = "needs_review" / "feasibilityChecked",
    },
    [
        (Requested, Activating), (Requested, Terminated),
        (Activating, Active), (Active, Suspending), (Suspending, Suspended),
        (Suspended, Resuming), (Resuming, Active),
        (Active, Terminating), (Suspended, Terminating), (Terminating, Terminated),
        // Carrier trouble on any in-flight step.
        (Activating, Pending), (Suspending, Pending), (Resuming, Pending), (Terminating, Pending),
        (Activating, NeedsReview), (Suspending, NeedsReview), (Resuming, NeedsReview), (Terminating, NeedsReview),
        // The carrier answers late.
        (Pending, Active), (Pending, Suspended), (Pending, Terminated), (Pending, NeedsReview),
        // A person decides what the truth is.
        (NeedsReview, Active), (NeedsReview, Suspended), (NeedsReview, Terminated),
    ]
);

impl LineState {
    /// States in which the carrier has been asked and not yet answered.
    pub fn in_flight(&self) -> bool {
        matches!(
            self,
            Self::Activating
                | Self::Suspending
                | Self::Resuming
                | Self::Terminating
                | Self::Pending
        )
    }
    /// Whether the line holds its MSISDN and SIM (for the one-active-line constraints).
    pub fn holds_resources(&self) -> bool {
        !matches!(self, Self::Terminated)
    }
}

state_machine!(
    /// An order (TMF622 product order).
    OrderState, "order",
    {
        Acknowledged = "acknowledged" / "acknowledged",
        Held = "held" / "held",
        InProgress = "in_progress" / "inProgress",
        Completed = "completed" / "completed",
        Failed = "failed" / "failed",
        Cancelled = "cancelled" / "cancelled",
    },
    [
        (Acknowledged, InProgress), (Acknowledged, Held), (Acknowledged, Cancelled), (Acknowledged, Failed),
        (Held, InProgress), (Held, Cancelled), (Held, Failed),
        (InProgress, Completed), (InProgress, Failed),
    ]
);

state_machine!(
    /// A four-eyes approval request.
    ApprovalState, "approval request",
    {
        Pending = "pending" / "pending",
        Approved = "approved" / "approved",
        Executed = "executed" / "completed",
        Rejected = "rejected" / "rejected",
        Expired = "expired" / "cancelled",
        Failed = "failed" / "failed",
    },
    [(Pending, Approved), (Pending, Rejected), (Pending, Expired), (Approved, Executed), (Approved, Failed)]
);
