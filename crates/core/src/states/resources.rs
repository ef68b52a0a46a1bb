//! Resource state machines (TMF639): numbers, SIM cards, eSIM profiles.

state_machine!(
    /// An MSISDN in the number pool. After termination a number rests in quarantine for the
    /// tenant's configured period before it can be sold again. A number ported in from
    /// another operator enters the pool `porting_in` and is assigned when the carrier
    /// completes the port; `ported_out` is a number that is another operator's (ported away
    /// from us, or a port-in that did not happen): it never returns to the pool by itself.
    NumberState, "number",
    { Available = "available" / "available", Reserved = "reserved" / "reserved", Assigned = "assigned" / "unknown", Quarantined = "quarantined" / "suspended", PortedOut = "ported_out" / "terminated", PortingIn = "porting_in" / "reserved" },
    [(Available, Reserved), (Reserved, Available), (Reserved, Assigned), (Assigned, Quarantined), (Quarantined, Available), (Assigned, PortedOut), (PortedOut, PortingIn), (PortingIn, Assigned), (PortingIn, PortedOut)]
);

state_machine!(
    /// A physical SIM card.
    SimState, "SIM",
    {
        InStock = "in_stock" / "available",
        Reserved = "reserved" / "reserved",
        Assigned = "assigned" / "unknown",
        Returned = "returned" / "standby",
        Faulty = "faulty" / "alarm",
        Lost = "lost" / "suspended",
    },
    [
        (InStock, Reserved), (Reserved, InStock), (Reserved, Assigned),
        (Assigned, Returned), (Assigned, Faulty), (Assigned, Lost),
        (InStock, Faulty), (InStock, Lost), (Returned, InStock), (Returned, Faulty),
    ]
);

state_machine!(
    /// An eSIM profile. With an SM-DP+ connected, a line's activation orders and confirms
    /// the profile there (`confirmed`: the activation code is ready for the customer), the
    /// SM-DP+'s notices move it to `downloaded` and `installed`, or to `failed` (a person
    /// releases it again, back to `confirmed`, or the line ends and it is deleted).
    EsimState, "eSIM profile",
    { Available = "available" / "available", Allocated = "allocated" / "reserved", Confirmed = "confirmed" / "reserved", Downloaded = "downloaded" / "standby", Installed = "installed" / "unknown", Failed = "failed" / "alarm", Deleted = "deleted" / "suspended" },
    [
        (Available, Allocated), (Allocated, Available), (Allocated, Downloaded), (Allocated, Confirmed),
        (Confirmed, Downloaded), (Confirmed, Installed), (Confirmed, Failed), (Confirmed, Deleted),
        (Downloaded, Installed), (Downloaded, Failed), (Downloaded, Deleted),
        (Failed, Confirmed), (Failed, Deleted), (Installed, Deleted),
    ]
);
