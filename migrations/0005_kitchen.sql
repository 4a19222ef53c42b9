-- The kitchen: stations (주방, 바) with their network printers, and tickets written as an
-- outbox in the order's own transaction.

CREATE TABLE stations (
    id               INTEGER PRIMARY KEY,
    store_id         TEXT NOT NULL REFERENCES stores(id),
    name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
    sort_order       INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 1000000),
    -- A raw-TCP ESC/POS printer (Epson, Bixolon, Sewoo: port 9100), or none.
    printer_host     TEXT CHECK (printer_host IS NULL OR length(printer_host) BETWEEN 1 AND 253),
    printer_port     INTEGER NOT NULL DEFAULT 9100 CHECK (printer_port BETWEEN 1 AND 65535),
    printer_encoding TEXT NOT NULL DEFAULT 'cp949' CHECK (printer_encoding IN ('cp949', 'utf-8')),
    printer_columns  INTEGER NOT NULL DEFAULT 42 CHECK (printer_columns BETWEEN 24 AND 64),
    created_at       INTEGER NOT NULL,
    -- Soft delete: tickets keep their station.
    deleted_at       INTEGER
) STRICT;
CREATE UNIQUE INDEX idx_stations_store_name ON stations(store_id, name) WHERE deleted_at IS NULL;
CREATE INDEX idx_stations_store_sort ON stations(store_id, sort_order);

-- Routing: an item's own station beats its category's; none = the store's first station.
ALTER TABLE categories ADD COLUMN station_id INTEGER REFERENCES stations(id);
ALTER TABLE menu_items ADD COLUMN station_id INTEGER REFERENCES stations(id);

CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores(id),
    station_id    INTEGER NOT NULL REFERENCES stations(id),
    order_id      INTEGER NOT NULL REFERENCES orders(id),
    kind          TEXT NOT NULL CHECK (kind IN ('order', 'cancel')),
    -- [{"name", "quantity", "options": [{"option_id", "group", "name", "price_delta"}], "note"}]
    lines         TEXT NOT NULL CHECK (json_valid(lines)),
    created_at    INTEGER NOT NULL,
    bumped_at     INTEGER,
    printed_at    INTEGER,
    -- A print job waits for this ticket (the station's printer takes them in id order).
    print_pending INTEGER NOT NULL DEFAULT 0 CHECK (print_pending IN (0, 1)),
    -- The next print says "재출력" (asked for, or the connection broke mid-ticket).
    reprint       INTEGER NOT NULL DEFAULT 0 CHECK (reprint IN (0, 1)),
    -- Undo of the last bump restores the order's status from before it.
    bump_prev_status TEXT
) STRICT;
CREATE INDEX idx_tickets_store_station_open ON tickets(store_id, station_id, bumped_at, id);
CREATE INDEX idx_tickets_store_order ON tickets(store_id, order_id);
CREATE INDEX idx_tickets_store_print ON tickets(store_id, station_id, print_pending, id);

-- New event types (ticket_created, ticket_bumped, printer_changed): the events table is
-- rebuilt with the longer CHECK, keeping every row and the id sequence (ids never go back).
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    table_id   INTEGER,
    type       TEXT NOT NULL CHECK (type IN ('order_created', 'order_updated', 'order_cancelled',
                   'session_ended', 'call_created', 'call_acked', 'menu_changed', 'table_changed',
                   'ticket_created', 'ticket_bumped', 'printer_changed')),
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
