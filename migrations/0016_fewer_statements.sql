-- A transaction's audit records (and their outbox events) are appended as one batch when it
-- commits (crates/db/src/audit.rs), in one round trip: this function takes the tenant's chain
-- lock, reads the chain's last link, hashes the new records onto it and inserts them.
--
-- It must be VOLATILE plpgsql: each statement of such a function takes a fresh snapshot, so
-- the read after the lock sees a record committed while this transaction waited for it (one
-- plain SQL statement would read with the snapshot taken before the wait and fork the chain).
-- The hash is the one `record_hash` computes in Rust: sha256(prev_hash ‖ body), the body being
-- the record's canonical JSON, which the application sends in two parts around the sequence
-- number (only the database knows it). SECURITY INVOKER: row-level security applies as to the
-- caller.
CREATE FUNCTION audit_append_batch(
    p_tenant uuid,
    p_id uuid[], p_occurred_at timestamptz[], p_actor_type text[], p_actor_id text[],
    p_actor_label text[], p_action text[], p_target_type text[], p_target_id text[],
    p_before jsonb[], p_after jsonb[], p_request_id text[], p_approval_id uuid[],
    p_body_head text[], p_body_tail text[],
    p_event_id uuid[], p_topic text[], p_aggregate_type text[], p_aggregate_id text[],
    p_payload jsonb[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_seq bigint;
    v_prev bytea;
    v_seqs bigint[] := '{}';
    v_prevs bytea[] := '{}';
    v_hashes bytea[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || p_tenant::text, 0));
    SELECT a.seq, a.hash INTO v_seq, v_prev
      FROM audit_log a WHERE a.tenant_id = p_tenant ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_seq := 0;
        v_prev := decode(repeat('00', 32), 'hex');
    END IF;
    FOR i IN 1 .. coalesce(cardinality(p_id), 0) LOOP
        v_seq := v_seq + 1;
        v_seqs := array_append(v_seqs, v_seq);
        v_prevs := array_append(v_prevs, v_prev);
        v_prev := sha256(v_prev || convert_to(p_body_head[i] || v_seq::text || p_body_tail[i], 'UTF8'));
        v_hashes := array_append(v_hashes, v_prev);
    END LOOP;
    INSERT INTO outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload, request_id)
    SELECT p_tenant, e.id, e.topic, e.aggregate_type, e.aggregate_id, e.payload, e.request_id
      FROM unnest(p_event_id, p_topic, p_aggregate_type, p_aggregate_id, p_payload, p_request_id)
        AS e(id, topic, aggregate_type, aggregate_id, payload, request_id)
     WHERE e.id IS NOT NULL;
    INSERT INTO audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label,
                           action, target_type, target_id, before, after, request_id,
                           approval_id, prev_hash, hash)
    SELECT p_tenant, r.*
      FROM unnest(v_seqs, p_id, p_occurred_at, p_actor_type, p_actor_id, p_actor_label,
                  p_action, p_target_type, p_target_id, p_before, p_after, p_request_id,
                  p_approval_id, v_prevs, v_hashes) AS r;
    RETURN v_seq;
END
$$;
GRANT EXECUTE ON FUNCTION audit_append_batch(uuid, uuid[], timestamptz[], text[], text[], text[],
    text[], text[], text[], jsonb[], jsonb[], text[], uuid[], text[], text[], uuid[], text[],
    text[], text[], jsonb[]) TO tsunagi_app;

-- Every replica caches each tenant's settings in force and carrier switch (crates/app/src/
-- settings_cache.rs). Any change to a tenant's settings or place in the tree, or to a carrier
-- row, is announced at commit; listeners empty their cache (a parent's change reaches its
-- subtree, so the whole cache goes).
CREATE FUNCTION notify_settings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tsunagi_settings', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER tenants_settings_changed
    AFTER UPDATE OF settings, parent_id ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_settings_changed();
CREATE TRIGGER tenant_carriers_changed
    AFTER INSERT OR UPDATE OR DELETE ON tenant_carriers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_settings_changed();
