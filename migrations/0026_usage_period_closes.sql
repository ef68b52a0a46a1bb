-- A tenant's closed usage months: once a month is billed (the bill run of issue 17 closes
-- it; until then a person with `usage:update` may), records of that month are no longer
-- taken — they wait in the rejection queue as `period_closed`, so nothing is dropped and
-- nothing changes an invoice already issued — and the month is no longer re-rated.

CREATE TABLE usage_period_closes (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    period    date NOT NULL CHECK (extract(day FROM period) = 1),
    closed_by text NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, period)
);
SELECT tsunagi_tenant_table('usage_period_closes', false);

ALTER TABLE usage_rejections DROP CONSTRAINT usage_rejections_code_check,
    ADD CONSTRAINT usage_rejections_code_check
        CHECK (code IN ('malformed', 'unknown_msisdn', 'line_not_active', 'period_closed'));
