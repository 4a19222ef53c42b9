-- Events a box sent for a store it is not (yet) bound to: held, acknowledged (so the box
-- keeps sending its other stores and never loses these), but neither projected nor shown
-- to HQ. When HQ binds the store to the box (`tableorder hub box bind`), the box's next
-- ingest releases them into `events` and the projections, in event order.
CREATE TABLE held_events (
    box_id     BIGINT NOT NULL REFERENCES boxes(id),
    event_id   BIGINT NOT NULL,
    store_id   TEXT NOT NULL,
    table_id   BIGINT,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (box_id, event_id)
);
CREATE INDEX held_events_store ON held_events(box_id, store_id);
