-- Releases a chain rolls out to its boxes (tableorder hub release add / rollout). A box
-- downloads the build for its architecture and verifies it with its own keys.
CREATE TABLE releases (
    version   TEXT NOT NULL,
    -- The target triple named in the signature's trusted comment.
    target    TEXT NOT NULL,
    signature TEXT NOT NULL,
    body      BYTEA NOT NULL,
    added_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (version, target)
);

-- A rollout of a version: halted when a box it reached fails with it (the boxes it had
-- not reached yet are no longer assigned it).
CREATE TABLE rollouts (
    version     TEXT PRIMARY KEY,
    assigned_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    halted_at   TIMESTAMPTZ,
    halt_reason TEXT
);

-- What each box should run, and what it says it runs.
ALTER TABLE boxes ADD COLUMN assigned_version TEXT;
ALTER TABLE boxes ADD COLUMN version TEXT;
ALTER TABLE boxes ADD COLUMN arch TEXT;
ALTER TABLE boxes ADD COLUMN update_state TEXT;
ALTER TABLE boxes ADD COLUMN update_error TEXT;
