-- Menu options (맵기, 곱빼기, drink sizes), line notes and translated menus.
-- Every new table has store_id and its indexes lead with it.

-- The store's own language: what staff and the kitchen see, and the guest menu's default.
ALTER TABLE stores ADD COLUMN language TEXT NOT NULL DEFAULT 'ko' CHECK (language IN ('ko', 'en', 'ja', 'zh'));

-- Translations: {"en": {"name", "description"?}, "ja": {…}, "zh": {…}}; a missing language
-- falls back to the store's own text.
ALTER TABLE categories ADD COLUMN translations TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(translations));
ALTER TABLE menu_items ADD COLUMN translations TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(translations));

CREATE TABLE option_groups (
    id           INTEGER PRIMARY KEY,
    store_id     TEXT NOT NULL REFERENCES stores(id),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    min_choices  INTEGER NOT NULL CHECK (min_choices BETWEEN 0 AND 30),
    max_choices  INTEGER NOT NULL CHECK (max_choices BETWEEN 1 AND 30),
    sort_order   INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 1000000),
    translations TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(translations)),
    created_at   INTEGER NOT NULL,
    CHECK (min_choices <= max_choices)
) STRICT;
CREATE INDEX idx_option_groups_store ON option_groups(store_id, sort_order);

CREATE TABLE options (
    id           INTEGER PRIMARY KEY,
    store_id     TEXT NOT NULL REFERENCES stores(id),
    group_id     INTEGER NOT NULL REFERENCES option_groups(id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    price_delta  INTEGER NOT NULL DEFAULT 0 CHECK (price_delta BETWEEN -10000000 AND 10000000),
    available    INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
    sort_order   INTEGER NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 1000000),
    translations TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(translations)),
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_options_store_group ON options(store_id, group_id, sort_order);

-- Which groups an item offers, in order; one group ("맵기") may serve many items.
CREATE TABLE item_option_groups (
    store_id     TEXT NOT NULL REFERENCES stores(id),
    menu_item_id INTEGER NOT NULL REFERENCES menu_items(id) ON DELETE CASCADE,
    group_id     INTEGER NOT NULL REFERENCES option_groups(id) ON DELETE CASCADE,
    sort_order   INTEGER NOT NULL,
    PRIMARY KEY (store_id, menu_item_id, group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_item_option_groups_store_group ON item_option_groups(store_id, group_id);

-- Order lines keep the guest's note and a copy of each chosen option as it was when
-- ordered: [{"option_id", "group", "name", "price_delta"}], in the item's group order.
-- (On the line itself: an order is written, read and sent as a whole.)
ALTER TABLE order_items ADD COLUMN note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 100);
ALTER TABLE order_items ADD COLUMN options TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(options));
