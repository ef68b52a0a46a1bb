-- Re-rating a tenant's whole month (issue 16): a run is quoted pool by pool in the
-- background (what each pool would be charged against the catalog as it is now), shown to a
-- person, and applied pool by pool — each pool only if it still totals what was quoted
-- (else it is counted as `moved`, to be quoted again). `cursor` is the last pool owner the
-- quote has done (a run resumes there after a crash); `lease` and `working_until` are a
-- worker's lease (every write of a worker names its lease, so one that lost it writes
-- nothing); `attempts` counts failed steps in a row (the run fails after five). At most
-- one run per tenant and month is quoting or applying; a newer run supersedes a quoted one.

CREATE TABLE usage_rerate_runs (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    period        date NOT NULL CHECK (extract(day FROM period) = 1),
    status        text NOT NULL DEFAULT 'quoting'
                  CHECK (status IN ('quoting', 'quoted', 'applying', 'applied', 'superseded', 'failed')),
    cursor        uuid,
    pools         integer NOT NULL DEFAULT 0,
    records       bigint NOT NULL DEFAULT 0,
    before        bigint NOT NULL DEFAULT 0,
    after         bigint NOT NULL DEFAULT 0,
    changed       bigint NOT NULL DEFAULT 0,
    pools_changed integer NOT NULL DEFAULT 0,
    pools_applied integer NOT NULL DEFAULT 0,
    pools_moved   integer NOT NULL DEFAULT 0,
    currency      text,
    error         text,
    requested_by  text NOT NULL,
    applied_by    text,
    lease         uuid,
    working_until timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    quoted_at     timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX usage_rerate_runs_open ON usage_rerate_runs (tenant_id, period)
    WHERE status IN ('quoting', 'applying');
SELECT tsunagi_tenant_table('usage_rerate_runs');

-- The pools a run's quote found changing: what they total now and after, to apply.
CREATE TABLE usage_rerate_run_pools (
    tenant_id  uuid NOT NULL,
    run_id     uuid NOT NULL,
    owner_id   uuid NOT NULL,
    line_id    uuid NOT NULL,
    records    bigint NOT NULL,
    before     bigint NOT NULL,
    after      bigint NOT NULL,
    changed    bigint NOT NULL,
    outcome    text CHECK (outcome IN ('applied', 'moved')),
    PRIMARY KEY (tenant_id, run_id, owner_id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES usage_rerate_runs (tenant_id, id)
);
SELECT tsunagi_tenant_table('usage_rerate_run_pools');

-- The runs a worker should pick up (quoting or applying, nobody working on them), across
-- tenants: the worker's sweep after a crash or a restart.
CREATE FUNCTION usage_rerate_runs_waiting() RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT tenant_id, id FROM usage_rerate_runs
    WHERE status IN ('quoting', 'applying') AND (working_until IS NULL OR working_until < now())
$$;
REVOKE ALL ON FUNCTION usage_rerate_runs_waiting() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION usage_rerate_runs_waiting() TO tsunagi_app;
