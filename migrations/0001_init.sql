-- tableorder schema v1. Shared schema: every row carries store_id, and every index
-- serving a store-scoped query leads with store_id. Times are Unix milliseconds (UTC).

CREATE TABLE stores (
    id           TEXT PRIMARY KEY
                 CHECK (length(id) BETWEEN 1 AND 32 AND id NOT GLOB '*[^a-z0-9-]*'),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    currency     TEXT NOT NULL DEFAULT 'KRW' CHECK (length(currency) = 3),
    timezone     TEXT NOT NULL DEFAULT 'Asia/Seoul',
    settings     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    menu_version INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE admins (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores(id),
    username      TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (store_id, username)
) STRICT;

-- Tables are soft-deleted so that history keeps its table numbers.
CREATE TABLE tables (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores(id),
    number        INTEGER NOT NULL CHECK (number BETWEEN 1 AND 9999),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL,
    deleted_at    INTEGER
) STRICT;
CREATE UNIQUE INDEX idx_tables_store_number ON tables(store_id, number) WHERE deleted_at IS NULL;

CREATE TABLE table_sessions (
    id         INTEGER PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    table_id   INTEGER NOT NULL REFERENCES tables(id),
    started_at INTEGER NOT NULL,
    ended_at   INTEGER CHECK (ended_at IS NULL OR ended_at >= started_at)
) STRICT;
-- At most one open session per table.
CREATE UNIQUE INDEX idx_sessions_one_open ON table_sessions(store_id, table_id) WHERE ended_at IS NULL;
CREATE INDEX idx_sessions_store_ended ON table_sessions(store_id, ended_at);

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    sort_order INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 1000000),
    created_at INTEGER NOT NULL,
    UNIQUE (store_id, name)
) STRICT;
CREATE INDEX idx_categories_store_sort ON categories(store_id, sort_order);

-- Image bytes live in the database so that a backup of it is a backup of everything.
CREATE TABLE images (
    id           INTEGER PRIMARY KEY,
    store_id     TEXT NOT NULL REFERENCES stores(id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    data         BLOB NOT NULL CHECK (length(data) <= 2097152),
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_images_store ON images(store_id, id);

CREATE TABLE menu_items (
    id          INTEGER PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores(id),
    category_id INTEGER NOT NULL REFERENCES categories(id),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    price       INTEGER NOT NULL CHECK (price BETWEEN 0 AND 10000000),
    image_id    INTEGER REFERENCES images(id) ON DELETE SET NULL,
    available   INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
    sort_order  INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 1000000),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_menu_items_store_category ON menu_items(store_id, category_id, sort_order);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    store_id        TEXT NOT NULL REFERENCES stores(id),
    table_id        INTEGER NOT NULL REFERENCES tables(id),
    session_id      INTEGER NOT NULL REFERENCES table_sessions(id),
    business_day    TEXT NOT NULL CHECK (business_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    order_no        INTEGER NOT NULL CHECK (order_no >= 1),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'preparing', 'completed', 'cancelled')),
    total           INTEGER NOT NULL CHECK (total >= 0),
    idempotency_key TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 64),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (store_id, table_id, idempotency_key),
    UNIQUE (store_id, business_day, order_no)
) STRICT;
CREATE INDEX idx_orders_store_session ON orders(store_id, session_id);
CREATE INDEX idx_orders_store_status ON orders(store_id, status);

-- menu_item_id is a reference for reports only: name and unit price are copied at
-- order time, and a menu item may be deleted later without touching history.
CREATE TABLE order_items (
    id           INTEGER PRIMARY KEY,
    store_id     TEXT NOT NULL REFERENCES stores(id),
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    menu_item_id INTEGER NOT NULL,
    name         TEXT NOT NULL,
    unit_price   INTEGER NOT NULL CHECK (unit_price BETWEEN 0 AND 10000000),
    quantity     INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99)
) STRICT;
CREATE INDEX idx_order_items_store_order ON order_items(store_id, order_id);

-- Daily order numbers per store; the day follows the store's timezone.
CREATE TABLE order_counters (
    store_id TEXT NOT NULL REFERENCES stores(id),
    day      TEXT NOT NULL,
    last_no  INTEGER NOT NULL,
    PRIMARY KEY (store_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE staff_calls (
    id         INTEGER PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    table_id   INTEGER NOT NULL REFERENCES tables(id),
    session_id INTEGER REFERENCES table_sessions(id),
    reason     TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    created_at INTEGER NOT NULL,
    acked_at   INTEGER
) STRICT;
CREATE INDEX idx_staff_calls_store_open ON staff_calls(store_id, acked_at);

-- The change feed: written in the same transaction as the change it describes.
-- AUTOINCREMENT so that ids never go back, even after every row is pruned.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    table_id   INTEGER,
    type       TEXT NOT NULL CHECK (type IN ('order_created', 'order_updated', 'order_cancelled',
                   'session_ended', 'call_created', 'call_acked', 'menu_changed', 'table_changed')),
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_events_store_id ON events(store_id, id);
CREATE INDEX idx_events_created ON events(created_at);

-- Box-wide facts (setup code, event prune floor).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
