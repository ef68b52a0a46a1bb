-- The one search field at millions of rows:
-- * names and e-mails match anywhere (trigram GIN indexes: a caller's surname, a domain);
-- * numbers and identifiers match from the start (btree, text_pattern_ops) or from the end
--   (btree on reverse(): "the last digits on the SIM card") — digit strings have too few
--   distinct trigrams for a trigram index to be selective.
-- Btree indexes lead with tenant_id, like every other index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX customers_name_trgm ON customers USING gin (lower(name) gin_trgm_ops);
CREATE INDEX customers_email_trgm ON customers USING gin (lower(email) gin_trgm_ops);

CREATE INDEX lines_msisdn_reverse ON lines (tenant_id, reverse(msisdn) text_pattern_ops);
CREATE INDEX sims_iccid_prefix ON sims (tenant_id, iccid text_pattern_ops);
CREATE INDEX sims_iccid_reverse ON sims (tenant_id, reverse(iccid) text_pattern_ops);
CREATE INDEX sims_imsi_prefix ON sims (tenant_id, imsi text_pattern_ops);
CREATE INDEX esim_profiles_iccid_prefix ON esim_profiles (tenant_id, iccid text_pattern_ops);
CREATE INDEX esim_profiles_iccid_reverse ON esim_profiles (tenant_id, reverse(iccid) text_pattern_ops);
CREATE INDEX devices_imei_prefix ON devices (tenant_id, imei text_pattern_ops);
CREATE INDEX devices_imei_reverse ON devices (tenant_id, reverse(imei) text_pattern_ops);

-- The search itself runs as this function: the caller's visible tenants are applied
-- explicitly in every branch (app_visible(), the same set RLS uses), and the LIKE
-- conditions can use the indexes above. Under RLS they could not: LIKE is not leakproof, so
-- PostgreSQL must evaluate it after the row-security filter, never as an index condition.
CREATE FUNCTION ledger_search(q_text text, q_digits text, q_phone text, q_limit integer)
RETURNS TABLE (kind text, id uuid, tenant_id uuid, label text, status text, matched text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    (SELECT 'customer', c.id, c.tenant_id, c.name, c.kyc_status, 'text' FROM customers c
      WHERE c.tenant_id = ANY (app_visible())
        AND ((q_text IS NOT NULL AND (lower(c.name) LIKE q_text OR lower(c.email) LIKE q_text))
             OR (q_phone IS NOT NULL AND c.phone LIKE q_phone || '%'))
      LIMIT q_limit)
    UNION ALL
    (SELECT 'line', l.id, l.tenant_id, l.msisdn, l.status, 'msisdn' FROM lines l
      WHERE q_phone IS NOT NULL AND l.tenant_id = ANY (app_visible())
        AND (l.msisdn LIKE q_phone || '%' OR reverse(l.msisdn) LIKE reverse(q_digits) || '%')
      LIMIT q_limit)
    UNION ALL
    (SELECT 'sim', s.id, s.tenant_id, s.iccid, s.status, CASE WHEN s.imsi LIKE q_digits || '%' THEN 'imsi' ELSE 'iccid' END FROM sims s
      WHERE q_digits IS NOT NULL AND s.tenant_id = ANY (app_visible())
        AND (s.iccid LIKE q_digits || '%' OR reverse(s.iccid) LIKE reverse(q_digits) || '%' OR s.imsi LIKE q_digits || '%')
      LIMIT q_limit)
    UNION ALL
    (SELECT 'esim', e.id, e.tenant_id, e.iccid, e.status, 'iccid' FROM esim_profiles e
      WHERE q_digits IS NOT NULL AND e.tenant_id = ANY (app_visible())
        AND (e.iccid LIKE q_digits || '%' OR reverse(e.iccid) LIKE reverse(q_digits) || '%')
      LIMIT q_limit)
    UNION ALL
    (SELECT 'device', d.id, d.tenant_id, d.imei, d.status, 'imei' FROM devices d
      WHERE q_digits IS NOT NULL AND d.tenant_id = ANY (app_visible())
        AND (d.imei LIKE q_digits || '%' OR reverse(d.imei) LIKE reverse(q_digits) || '%')
      LIMIT q_limit)
$$;
REVOKE ALL ON FUNCTION ledger_search(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_search(text, text, text, integer) TO tsunagi_app;
