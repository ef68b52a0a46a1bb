-- Data limits at a used-up allowance: the tenant setting `dataAtQuota` (notify, throttle or
-- block) decides what happens when a pool's data allowance is used up in the current bill
-- period. The pool remembers that it limited its lines (and at what speed), and when and why
-- the limit was lifted: a data add-on raised the allowance, or the period ended (the worker
-- lifts limits of past periods). A pool is limited at most once at a time, under its row
-- lock, so two raters never throttle a line twice.

ALTER TABLE usage_pools
    ADD COLUMN limit_action text CHECK (limit_action IN ('throttle', 'block')),
    ADD COLUMN limit_kbps   integer CHECK (limit_kbps >= 0),
    ADD COLUMN limited_at   timestamptz,
    ADD COLUMN lifted_at    timestamptz,
    ADD COLUMN lifted_by    text CHECK (lifted_by IN ('add_on', 'next_period')),
    ADD CONSTRAINT usage_pools_limit_whole CHECK (
        (limit_action IS NULL) = (limited_at IS NULL) AND (limit_action IS NULL) = (limit_kbps IS NULL)
        AND (lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL OR limited_at IS NOT NULL));

-- The worker's sweep: pools still limited, found without a scan of every pool.
CREATE INDEX usage_pools_limited ON usage_pools (period) WHERE limit_action IS NOT NULL AND lifted_at IS NULL;

-- Tenants with a limit still in force on a period that began before `before` (the worker
-- passes a date late enough for every time zone, then checks each tenant's own period).
CREATE FUNCTION tenants_with_limited_pools(before date) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT tenant_id FROM usage_pools
    WHERE limit_action IS NOT NULL AND lifted_at IS NULL AND period < before
$$;
REVOKE ALL ON FUNCTION tenants_with_limited_pools(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenants_with_limited_pools(date) TO tsunagi_app;
