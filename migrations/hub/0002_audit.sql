-- Each store's audit trail, as its box records it: who did what to money, orders, tables,
-- prices and staff, and who approved it. Rows arrive as `audit` events and never change.
CREATE TABLE audit (
    store_id      TEXT NOT NULL,
    box_id        BIGINT NOT NULL,
    audit_id      BIGINT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    kind          TEXT NOT NULL,
    staff_name    TEXT,
    approver_name TEXT,
    table_number  BIGINT,
    order_id      BIGINT,
    amount        BIGINT,
    reason        TEXT,
    detail        JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (store_id, box_id, audit_id)
);
CREATE INDEX audit_store_at ON audit(store_id, at DESC);
