-- One reconciliation run at a time per tenant (replicas of the worker, or a person's run
-- beside the scheduled one, would otherwise record every drift twice).
CREATE UNIQUE INDEX reconciliation_one_running ON reconciliation_runs (tenant_id) WHERE status = 'running';
