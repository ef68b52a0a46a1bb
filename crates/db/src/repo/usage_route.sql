-- Routes the staged chunk in one statement ($1 tenant, $2 source, $3 batch, $4 time zone,
-- $5 actor). Each staged record finds the line that had its MSISDN at its time (the line's
-- contract in service then); a record checked as malformed (code set) is not looked up, and
-- a record of a closed (billed) month is refused. Positions are unique within a chunk.
WITH cand AS (
    -- The lines that ever had a staged MSISDN, with their contract's time in service: one
    -- hash join for the chunk rather than a lookup per record.
    SELECT l.msisdn, l.id AS line_id, l.contract_id, c.started_at, c.ended_at
    FROM lines l
    JOIN contracts c ON c.tenant_id = l.tenant_id AND c.id = l.contract_id
    WHERE l.tenant_id = $1
      AND l.msisdn IN (SELECT msisdn FROM usage_stage WHERE code IS NULL)
),
staged AS (
    -- Each staged record with the line in service at its time (else the line it had).
    SELECT DISTINCT ON (s.position) s.*, m.line_id, m.contract_id,
           coalesce(m.started_at <= s.occurred_at
                    AND (m.ended_at IS NULL OR m.ended_at > s.occurred_at), false) AS covers,
           date_trunc('month', s.occurred_at AT TIME ZONE $4)::date AS month,
           -- A closed month's record is refused, unless it was taken before the close (then
           -- it is a duplicate like any record sent again).
           (EXISTS (SELECT 1 FROM usage_period_closes pc WHERE pc.tenant_id = $1
                    AND pc.period = date_trunc('month', s.occurred_at AT TIME ZONE $4)::date)
            AND NOT EXISTS (SELECT 1 FROM usage_records r WHERE r.tenant_id = $1
                    AND r.month = date_trunc('month', s.occurred_at AT TIME ZONE $4)::date
                    AND r.source = $2 AND r.record_id = s.record_id)) AS closed
    FROM usage_stage s
    LEFT JOIN cand m ON m.msisdn = s.msisdn AND s.code IS NULL
    ORDER BY s.position, covers DESC, m.started_at DESC NULLS LAST
),
accepted AS (
    INSERT INTO usage_records (tenant_id, month, source, record_id, kind, msisdn, line_id,
        contract_id, occurred_at, bytes_up, bytes_down, apn, seconds, destination,
        roaming_zone, batch_id)
    SELECT $1, month, $2, record_id, kind, msisdn, line_id, contract_id, occurred_at,
           bytes_up, bytes_down, apn, seconds, destination, roaming_zone, $3
    FROM staged
    WHERE code IS NULL AND covers AND NOT closed
    ON CONFLICT DO NOTHING
    RETURNING month, source, record_id, kind, msisdn, line_id, contract_id, occurred_at,
              bytes_up, bytes_down, seconds, destination, roaming_zone
),
fresh AS (
    -- What this chunk took, for rating in the same transaction.
    INSERT INTO usage_fresh SELECT * FROM accepted
),
refused AS (
    -- The last occurrence of a record id in the chunk speaks for it; a record taken in this
    -- chunk is not also refused. A record that could not be read has no id: each is its own.
    SELECT * FROM (
        SELECT DISTINCT ON (record_id) *
        FROM staged
        WHERE record_id IS NOT NULL AND (code IS NOT NULL OR NOT covers OR closed)
        ORDER BY record_id, position DESC
    ) keyed
    WHERE record_id NOT IN (SELECT record_id FROM accepted)
    UNION ALL
    SELECT * FROM staged WHERE record_id IS NULL
),
rejected AS (
    INSERT INTO usage_rejections AS r (tenant_id, id, batch_id, source, position, record_id,
        fields, raw, code, field, reason)
    SELECT $1, tsunagi_uuid_v7(), $3, $2, position, record_id,
           coalesce(fields, jsonb_strip_nulls(jsonb_build_object(
               'recordId', record_id, 'type', kind, 'msisdn', '+' || msisdn,
               'time', occurred_at,
               'bytesUp', CASE WHEN kind = 'data' THEN bytes_up::text END,
               'bytesDown', CASE WHEN kind = 'data' THEN bytes_down::text END,
               'apn', apn,
               'seconds', CASE WHEN kind = 'voice' THEN seconds::text END,
               'destination', destination, 'roamingZone', roaming_zone))),
           raw,
           coalesce(code, CASE WHEN line_id IS NULL THEN 'unknown_msisdn'
                               WHEN NOT covers THEN 'line_not_active'
                               ELSE 'period_closed' END),
           field,
           coalesce(reason, CASE WHEN line_id IS NULL
               THEN 'no line of this tenant has this MSISDN'
               WHEN NOT covers THEN 'the line''s contract was not in service at the record''s time'
               ELSE 'the bill period ' || to_char(month, 'YYYY-MM') || ' is closed (billed)' END)
    FROM refused
    ON CONFLICT (tenant_id, source, record_id) WHERE status = 'open' AND record_id IS NOT NULL
    DO UPDATE SET batch_id = EXCLUDED.batch_id, position = EXCLUDED.position,
        fields = EXCLUDED.fields, raw = EXCLUDED.raw, code = EXCLUDED.code,
        field = EXCLUDED.field, reason = EXCLUDED.reason, attempts = r.attempts + 1,
        updated_at = now(), version = r.version + 1
    RETURNING 1
),
resolved AS (
    UPDATE usage_rejections r
    SET status = 'reprocessed', resolution = 'accepted when sent again', resolved_by = $5,
        resolved_at = now(), updated_at = now(), version = r.version + 1
    FROM accepted a
    WHERE r.tenant_id = $1 AND r.source = $2 AND r.record_id = a.record_id AND r.status = 'open'
    RETURNING 1
)
SELECT (SELECT count(*) FROM staged), (SELECT count(*) FROM accepted),
       (SELECT count(*) FROM rejected), (SELECT count(*) FROM resolved)
