//! Resource state machines (TMF639): numbers, SIM cards, eSIM profiles.

state_machine!(
    /// An MSISDN in the number pool. After termination a number rests in quarantine for the
    /// tenant's configured period before it can be sold again.
    NumberState, "number",
    { Available = "available" / "available", Reserved = "reserved" / "reserved", Assigned = "assigned" / "unknown", Quarantined = "quarantined" / "suspended", PortedOut = "ported_out" / "terminated" },
    // A number ported to another operator leaves the pool for good.
    [(Available, Reserved), (Reserved, Available), (Reserved, Assigned), (Assigned, Quarantined), (Quarantined, Available), (Assigned, PortedOut)]
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
    /// An eSIM profile.
    EsimState, "eSIM profile",
    { Available = "available" / "available", Allocated = "allocated" / "reserved", Downloaded = "downloaded" / "standby", Installed = "installed" / "unknown", Deleted = "deleted" / "suspended" },
    [(Available, Allocated), (Allocated, Available), (Allocated, Downloaded), (Downloaded, Installed), (Installed, Deleted), (Downloaded, Deleted)]
);
