-- tableorder hub schema v1 (PostgreSQL). Every store's rows keep their store_id; the ids a
-- box gave its orders, sessions and calls are kept as they are, next to the box's id.

CREATE TABLE hub_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Boxes send their event feed with a token; only its hash is kept.
CREATE TABLE boxes (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL DEFAULT '',
    token_hash     TEXT NOT NULL UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at     TIMESTAMPTZ,
    last_seen_at   TIMESTAMPTZ,
    -- Contiguity starts at the first event id the box sent (older ones were pruned on the box).
    first_event_id BIGINT,
    -- Every event of the box up to this id is held.
    acked_event_id BIGINT NOT NULL DEFAULT 0,
    -- The newest event id the box had when it last sent (backlog = head - acked).
    head_event_id  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE box_stores (
    box_id   BIGINT NOT NULL REFERENCES boxes(id),
    store_id TEXT NOT NULL,
    PRIMARY KEY (box_id, store_id)
);
CREATE INDEX box_stores_store ON box_stores(store_id);

CREATE TABLE stores (
    store_id     TEXT PRIMARY KEY,
    name         TEXT NOT NULL DEFAULT '',
    timezone     TEXT NOT NULL DEFAULT 'Asia/Seoul',
    last_seen_at TIMESTAMPTZ
);

-- Every event of every box, its data as the box sent it (JSON text, checked on the way
-- in; kept, not queried). hub_id orders
-- them for the HQ live feed: ingest takes an advisory lock around the insert, so hub ids
-- commit in increasing order (a resume after id N never misses an N-1 committed later).
CREATE SEQUENCE events_hub_id;
CREATE TABLE events (
    box_id     BIGINT NOT NULL REFERENCES boxes(id),
    event_id   BIGINT NOT NULL,
    hub_id     BIGINT NOT NULL DEFAULT nextval('events_hub_id'),
    store_id   TEXT NOT NULL,
    table_id   BIGINT,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (box_id, event_id)
);
CREATE INDEX events_live ON events(hub_id) WHERE type IN ('order_created', 'order_updated', 'order_cancelled', 'session_ended');

-- Projections, built from the events in the same transaction as their ingest.
CREATE TABLE orders (
    store_id     TEXT NOT NULL,
    box_id       BIGINT NOT NULL,
    order_id     BIGINT NOT NULL,
    order_no     BIGINT NOT NULL,
    table_id     BIGINT NOT NULL,
    table_number BIGINT NOT NULL,
    session_id   BIGINT NOT NULL,
    status       TEXT NOT NULL,
    total        BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    -- The day of created_at in the store's timezone (reports by day).
    business_day DATE NOT NULL,
    -- The order's lines as the box sent them (name, unit_price, quantity, note, options).
    items        JSONB NOT NULL,
    PRIMARY KEY (store_id, box_id, order_id)
);
CREATE INDEX orders_store_day ON orders(store_id, business_day);
CREATE INDEX orders_created ON orders(created_at DESC);

CREATE TABLE sessions (
    store_id    TEXT NOT NULL,
    box_id      BIGINT NOT NULL,
    session_id  BIGINT NOT NULL,
    table_id    BIGINT NOT NULL,
    started_at  TIMESTAMPTZ,
    ended_at    TIMESTAMPTZ,
    total       BIGINT NOT NULL DEFAULT 0,
    order_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, box_id, session_id)
);

CREATE TABLE calls (
    store_id   TEXT NOT NULL,
    box_id     BIGINT NOT NULL,
    call_id    BIGINT NOT NULL,
    table_id   BIGINT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    acked_at   TIMESTAMPTZ,
    PRIMARY KEY (store_id, box_id, call_id)
);

-- HQ staff.
CREATE TABLE hq_users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
