-- The check, its payments and the business day (마감). Money is integer won; every amount is
-- computed on the box from these rows (src/domain/check.rs).

-- A business day runs from its opening to its closing and belongs to the date it began on
-- (before the store's cutoff hour, the evening before). Its report is frozen at the close.
CREATE TABLE business_days (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores(id),
    business_date TEXT NOT NULL CHECK (business_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    opened_at     INTEGER NOT NULL,
    -- NULL: it opened by itself (the first order, payment or refund with no day open).
    opened_by     INTEGER REFERENCES admins(id),
    opening_cash  INTEGER NOT NULL DEFAULT 0 CHECK (opening_cash BETWEEN 0 AND 100000000),
    closed_at     INTEGER CHECK (closed_at IS NULL OR closed_at >= opened_at),
    -- NULL with closed_at: it ended by itself at the store's cutoff hour.
    closed_by     INTEGER REFERENCES admins(id),
    counted_cash  INTEGER CHECK (counted_cash IS NULL OR counted_cash BETWEEN 0 AND 1000000000),
    -- The day report as it was at the close; it never changes afterwards.
    report        TEXT CHECK (report IS NULL OR json_valid(report))
) STRICT;
CREATE UNIQUE INDEX idx_days_one_open ON business_days(store_id) WHERE closed_at IS NULL;
CREATE INDEX idx_days_store_date ON business_days(store_id, business_date);

-- A check's session is settled in the day it ended in.
ALTER TABLE table_sessions ADD COLUMN day_id INTEGER REFERENCES business_days(id);
CREATE INDEX idx_sessions_store_day ON table_sessions(store_id, day_id);

-- Discounts, 서비스 (comps) and voids. Comps and voids take `quantity` units of a line; a
-- discount is a percent or an amount of a line (order_item_id) or of the whole check.
CREATE TABLE adjustments (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores(id),
    session_id    INTEGER NOT NULL REFERENCES table_sessions(id),
    kind          TEXT NOT NULL CHECK (kind IN ('discount', 'comp', 'void')),
    order_item_id INTEGER REFERENCES order_items(id),
    percent       INTEGER CHECK (percent IS NULL OR percent BETWEEN 1 AND 100),
    amount        INTEGER CHECK (amount IS NULL OR amount BETWEEN 1 AND 100000000),
    quantity      INTEGER CHECK (quantity IS NULL OR quantity BETWEEN 1 AND 99),
    reason        TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 100),
    staff_id      INTEGER REFERENCES admins(id),
    approver_id   INTEGER REFERENCES admins(id),
    created_at    INTEGER NOT NULL,
    removed_at    INTEGER,
    removed_by    INTEGER REFERENCES admins(id),
    CHECK ((kind = 'discount') = (quantity IS NULL)),
    CHECK (kind = 'discount' OR order_item_id IS NOT NULL),
    CHECK (kind <> 'discount' OR ((percent IS NULL) <> (amount IS NULL)))
) STRICT;
CREATE INDEX idx_adjustments_store_session ON adjustments(store_id, session_id);

-- Payments: idempotent per check like orders (the same key is the same payment).
CREATE TABLE payments (
    id              INTEGER PRIMARY KEY,
    store_id        TEXT NOT NULL REFERENCES stores(id),
    session_id      INTEGER NOT NULL REFERENCES table_sessions(id),
    day_id          INTEGER NOT NULL REFERENCES business_days(id),
    method          TEXT NOT NULL CHECK (method IN ('cash', 'card', 'transfer', 'voucher', 'other')),
    amount          INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 100000000),
    tendered        INTEGER CHECK (tendered IS NULL OR tendered >= amount),
    change          INTEGER NOT NULL DEFAULT 0 CHECK (change >= 0),
    reference       TEXT CHECK (reference IS NULL OR length(reference) <= 50),
    -- How the amount was found: an equal part (split_parts) or chosen lines (split_items).
    split_parts     INTEGER CHECK (split_parts IS NULL OR split_parts BETWEEN 2 AND 50),
    split_items     TEXT CHECK (split_items IS NULL OR json_valid(split_items)),
    staff_id        INTEGER REFERENCES admins(id),
    idempotency_key TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 64),
    created_at      INTEGER NOT NULL,
    UNIQUE (store_id, session_id, idempotency_key)
) STRICT;
CREATE INDEX idx_payments_store_session ON payments(store_id, session_id);
CREATE INDEX idx_payments_store_day ON payments(store_id, day_id);

-- Refunds belong to the day they are made in (a closed day's report never changes).
CREATE TABLE refunds (
    id         INTEGER PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores(id),
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    day_id     INTEGER NOT NULL REFERENCES business_days(id),
    amount     INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 100000000),
    reason     TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 100),
    staff_id   INTEGER REFERENCES admins(id),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_refunds_store_payment ON refunds(store_id, payment_id);
CREATE INDEX idx_refunds_store_day ON refunds(store_id, day_id);

-- The receipt printer: bills, receipts and day reports print at this station.
ALTER TABLE stations ADD COLUMN receipt INTEGER NOT NULL DEFAULT 0 CHECK (receipt IN (0, 1));

-- Documents to print (bills, receipts, day reports): an outbox like the kitchen's tickets,
-- written in the transaction that asks for them, printed by the station's printer task.
CREATE TABLE prints (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores(id),
    station_id    INTEGER NOT NULL REFERENCES stations(id),
    kind          TEXT NOT NULL CHECK (kind IN ('bill', 'receipt', 'day_report')),
    -- The document's lines (src/kitchen/escpos.rs: Doc).
    body          TEXT NOT NULL CHECK (json_valid(body)),
    created_at    INTEGER NOT NULL,
    printed_at    INTEGER,
    print_pending INTEGER NOT NULL DEFAULT 1 CHECK (print_pending IN (0, 1)),
    reprint       INTEGER NOT NULL DEFAULT 0 CHECK (reprint IN (0, 1))
) STRICT;
CREATE INDEX idx_prints_store_station ON prints(store_id, station_id, print_pending, id);
