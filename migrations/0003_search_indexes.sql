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
