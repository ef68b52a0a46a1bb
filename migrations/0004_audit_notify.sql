-- Announce new audit records (for live subscriptions) from a trigger, in the same
-- transaction and without a round trip of its own.
CREATE FUNCTION audit_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tsunagi_audit', NEW.tenant_id::text || ':' || NEW.seq::text);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_notify();
