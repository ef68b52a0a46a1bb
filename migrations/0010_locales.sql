-- Recipients' language. A customer's language applies to its own e-mail address and to its
-- portal users who chose none; a user's own choice wins. NULL: the tenant's locale.
ALTER TABLE customers ADD COLUMN locale text CHECK (locale IS NULL OR locale IN ('ja', 'en'));
