-- New audit records and outbox events are announced after the commit, coalesced, by the
-- application (crates/db/src/announce.rs), no longer by triggers inside the writing
-- transaction: PostgreSQL serialises every transaction that queued a notification on one
-- database-wide lock held through its commit's WAL flush, which capped audited writes at
-- about 1,000 commits/s on two cores whatever else they did. Writers outside the
-- application announce themselves (`NOTIFY tsunagi_outbox`).
DROP TRIGGER audit_log_notify ON audit_log;
DROP FUNCTION audit_log_notify();
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();

-- A transaction's audit records are chained in the message that commits it
-- (crates/db/src/audit_append.rs): `audit_stage` writes the events and leaves the records in
-- a transaction-local setting, before the chain lock; `audit_chain_staged` takes the lock,
-- reads the last link, hashes the records onto it (as `audit_append_batch` and
-- `record_hash` do) and inserts them, and the COMMIT that follows in the same message
-- releases the lock. VOLATILE plpgsql for the fresh snapshot after the lock wait (see 0016);
-- SECURITY INVOKER: row-level security applies as to the caller.
CREATE FUNCTION audit_stage(p_tenant uuid, p_batch jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF jsonb_typeof(p_batch) IS DISTINCT FROM 'array' OR jsonb_array_length(p_batch) = 0 THEN
        RAISE EXCEPTION 'audit_stage: the batch must be a non-empty array';
    END IF;
    IF coalesce(current_setting('tsunagi.audit_stage', true), '') <> '' THEN
        RAISE EXCEPTION 'audit_stage: records are already staged in this transaction';
    END IF;
    INSERT INTO outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload, request_id)
    SELECT p_tenant, (e->>'event_id')::uuid, e->>'topic', e->>'aggregate_type',
           e->>'aggregate_id', e->'payload', e->>'request_id'
      FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS x(e, n)
     WHERE e ? 'event_id'
     ORDER BY n;
    PERFORM set_config('tsunagi.audit_stage',
                       jsonb_build_object('tenant', p_tenant, 'records', p_batch)::text, true);
END
$$;

CREATE FUNCTION audit_chain_staged() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_stage jsonb := nullif(current_setting('tsunagi.audit_stage', true), '')::jsonb;
    v_tenant uuid;
    v_seq bigint;
    v_prev bytea;
    r jsonb;
    v_seqs bigint[] := '{}';
    v_prevs bytea[] := '{}';
    v_hashes bytea[] := '{}';
BEGIN
    IF v_stage IS NULL THEN
        RAISE EXCEPTION 'audit_chain_staged: nothing staged in this transaction';
    END IF;
    v_tenant := (v_stage->>'tenant')::uuid;
    PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || v_tenant::text, 0));
    SELECT a.seq, a.hash INTO v_seq, v_prev
      FROM audit_log a WHERE a.tenant_id = v_tenant ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_seq := 0;
        v_prev := decode(repeat('00', 32), 'hex');
    END IF;
    FOR r IN SELECT e FROM jsonb_array_elements(v_stage->'records') WITH ORDINALITY AS x(e, n)
             ORDER BY n LOOP
        v_seq := v_seq + 1;
        v_seqs := array_append(v_seqs, v_seq);
        v_prevs := array_append(v_prevs, v_prev);
        v_prev := sha256(v_prev || convert_to((r->>'body_head') || v_seq::text || (r->>'body_tail'), 'UTF8'));
        v_hashes := array_append(v_hashes, v_prev);
    END LOOP;
    INSERT INTO audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label,
                           action, target_type, target_id, before, after, request_id,
                           approval_id, prev_hash, hash)
    SELECT v_tenant, s.seq, (x.e->>'id')::uuid, (x.e->>'occurred_at')::timestamptz,
           x.e->>'actor_type', x.e->>'actor_id', x.e->>'actor_label', x.e->>'action',
           x.e->>'target_type', x.e->>'target_id', x.e->'before', x.e->'after',
           x.e->>'request_id', (x.e->>'approval_id')::uuid, s.prev, s.hash
      FROM jsonb_array_elements(v_stage->'records') WITH ORDINALITY AS x(e, n)
      JOIN unnest(v_seqs, v_prevs, v_hashes) WITH ORDINALITY AS s(seq, prev, hash, n)
        ON s.n = x.n;
    PERFORM set_config('tsunagi.audit_stage', '', true);
    RETURN v_seq;
END
$$;
GRANT EXECUTE ON FUNCTION audit_stage(uuid, jsonb) TO tsunagi_app;
GRANT EXECUTE ON FUNCTION audit_chain_staged() TO tsunagi_app;
