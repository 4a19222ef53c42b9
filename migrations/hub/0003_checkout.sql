-- What stores took and closed: payments (from each check_changed event, refunds kept
-- current) and business days (from day_closed events: the frozen report with its figures).
CREATE TABLE payments (
    store_id   TEXT NOT NULL,
    box_id     BIGINT NOT NULL,
    payment_id BIGINT NOT NULL,
    session_id BIGINT NOT NULL,
    method     TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    refunded   BIGINT NOT NULL DEFAULT 0,
    at         TIMESTAMPTZ NOT NULL,
    -- The business day it was taken in (a payment at 1 a.m. belongs to the evening before).
    business_date DATE NOT NULL,
    PRIMARY KEY (store_id, box_id, payment_id)
);
CREATE INDEX payments_store_date ON payments(store_id, business_date);

CREATE TABLE days (
    store_id      TEXT NOT NULL,
    box_id        BIGINT NOT NULL,
    day_id        BIGINT NOT NULL,
    business_date DATE NOT NULL,
    closed_at     TIMESTAMPTZ,
    gross         BIGINT NOT NULL,
    net           BIGINT NOT NULL,
    orders        BIGINT NOT NULL,
    guests        BIGINT NOT NULL,
    report        JSONB NOT NULL,
    PRIMARY KEY (store_id, box_id, day_id)
);
CREATE INDEX days_store_date ON days(store_id, business_date);
