-- Carrier steps that take too long or go wrong: what the carrier (or a person reading the
-- carrier's portal) answered, and when; and, for the worker, which tenants have steps
-- still waiting.
ALTER TABLE provisioning_jobs
    ADD COLUMN answer      text CHECK (answer IS NULL OR length(answer) <= 1000),
    ADD COLUMN answered_at timestamptz;

CREATE INDEX provisioning_jobs_line ON provisioning_jobs (tenant_id, line_id);

CREATE FUNCTION tenants_with_waiting_jobs(older_than timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT tenant_id FROM provisioning_jobs WHERE status = 'queued' AND created_at <= older_than
$$;
REVOKE ALL ON FUNCTION tenants_with_waiting_jobs(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenants_with_waiting_jobs(timestamptz) TO tsunagi_app;
