-- Who may do what: every staff account has a role (the accounts made before roles existed
-- are owners), a name to show, can be deactivated (its history stays), and may have a PIN
-- for shared terminals. Only a keyed hash of the PIN is kept (HMAC with the box's pin_key):
-- it finds the person on a terminal and keeps PINs unique among a store's active staff.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'owner'
    CHECK (role IN ('owner', 'manager', 'server', 'kitchen'));
ALTER TABLE admins ADD COLUMN display_name TEXT NOT NULL DEFAULT '' CHECK (length(display_name) <= 50);
ALTER TABLE admins ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE admins ADD COLUMN pin_tag TEXT;
CREATE UNIQUE INDEX idx_admins_store_pin ON admins(store_id, pin_tag) WHERE pin_tag IS NOT NULL AND active = 1;
INSERT INTO meta (key, value) VALUES ('pin_key', lower(hex(randomblob(32)))) ON CONFLICT (key) DO NOTHING;

-- Shared terminals (the counter PC, the kitchen tablet): a browser holding a terminal token
-- lets staff switch person with a PIN. Only the token's SHA-256 is kept.
CREATE TABLE terminals (
    id          INTEGER PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores(id),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  INTEGER NOT NULL REFERENCES admins(id),
    created_at  INTEGER NOT NULL,
    -- Wrong PINs in a row; at 10 the terminal locks until a manager unlocks it.
    failed_pins INTEGER NOT NULL DEFAULT 0,
    locked_at   INTEGER,
    revoked_at  INTEGER
) STRICT;
CREATE INDEX idx_terminals_store ON terminals(store_id, id);

-- The audit trail: written in the same transaction as the action it records, never edited
-- or deleted (the triggers refuse it).
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    store_id     TEXT NOT NULL REFERENCES stores(id),
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    staff_id     INTEGER REFERENCES admins(id),
    approver_id  INTEGER REFERENCES admins(id),
    table_number INTEGER,
    order_id     INTEGER,
    amount       INTEGER,
    reason       TEXT CHECK (reason IS NULL OR length(reason) <= 200),
    detail       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;
CREATE INDEX idx_audit_store_at ON audit_log(store_id, at);
CREATE TRIGGER audit_log_never_edited BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are never edited'); END;
CREATE TRIGGER audit_log_never_deleted BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are never deleted'); END;

-- Guests per visit (인원), and where a merged session went (합석).
ALTER TABLE table_sessions ADD COLUMN guests INTEGER CHECK (guests IS NULL OR guests BETWEEN 1 AND 99);
ALTER TABLE table_sessions ADD COLUMN merged_into INTEGER REFERENCES table_sessions(id);

-- The events table without a list of types: new kinds (session_moved, audit, the check's and
-- the day's) are the code's to check, so adding one needs no rebuild of the table again.
-- Every row and the id sequence are kept (ids never go back).
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    table_id   INTEGER,
    type       TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 40),
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
INSERT INTO events_new (id, store_id, table_id, type, payload, created_at)
    SELECT id, store_id, table_id, type, payload, created_at FROM events;
CREATE TEMP TABLE events_seq AS SELECT coalesce(max(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
DELETE FROM sqlite_sequence WHERE name = 'events';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'events', max((SELECT seq FROM temp.events_seq), coalesce((SELECT max(id) FROM events), 0));
DROP TABLE temp.events_seq;
CREATE INDEX idx_events_store_id ON events(store_id, id);
CREATE INDEX idx_events_created ON events(created_at);
