-- Substring search (one search field: partial MSISDN, ICCID, IMSI, IMEI, names, e-mails)
-- through trigram indexes, so a lookup stays an index scan at millions of rows.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX lines_msisdn_trgm ON lines USING gin (msisdn gin_trgm_ops);
CREATE INDEX sims_iccid_trgm ON sims USING gin (iccid gin_trgm_ops);
CREATE INDEX sims_imsi_trgm ON sims USING gin (imsi gin_trgm_ops);
CREATE INDEX esim_profiles_iccid_trgm ON esim_profiles USING gin (iccid gin_trgm_ops);
CREATE INDEX devices_imei_trgm ON devices USING gin (imei gin_trgm_ops);
CREATE INDEX customers_name_trgm ON customers USING gin (lower(name) gin_trgm_ops);
CREATE INDEX customers_email_trgm ON customers USING gin (lower(email) gin_trgm_ops);
CREATE INDEX customers_phone_trgm ON customers USING gin (phone gin_trgm_ops);
