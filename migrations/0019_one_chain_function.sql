-- The chain is computed in one place, `audit_chain_staged` (0018): flushes before a commit
-- stage and chain too (crates/db/src/audit_append.rs), so the batch function of 0016 goes.
DROP FUNCTION audit_append_batch(uuid, uuid[], timestamptz[], text[], text[], text[], text[],
    text[], text[], jsonb[], jsonb[], text[], uuid[], text[], text[], uuid[], text[], text[],
    text[], jsonb[]);
