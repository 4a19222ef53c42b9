-- Menu cards show every photo at 4:3: the box keeps a 640×480 JPEG beside each upload
-- (images uploaded before get theirs when first asked for).
ALTER TABLE images ADD COLUMN card BLOB CHECK (card IS NULL OR length(card) <= 524288);

-- Setup QR codes: a code sets one tablet up as one table, once, within an hour. Only a
-- hash of the code is kept; the printed code is the secret. Few rows (expired ones are
-- swept when new codes are made), so no index beyond the key.
CREATE TABLE setup_codes (
    code_hash  TEXT PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    table_id   INTEGER NOT NULL REFERENCES tables(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
