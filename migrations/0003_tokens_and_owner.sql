-- Tokens issued before a password change or a table's deletion must stop working: every
-- account carries a token generation, copied into its tokens and moved on by each change.
ALTER TABLE admins ADD COLUMN token_gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tables ADD COLUMN token_gen INTEGER NOT NULL DEFAULT 0;

-- The box owner acts on the whole box (a backup holds every store on it). On a box
-- that exists already, the admins of its first store become owners.
ALTER TABLE admins ADD COLUMN box_owner INTEGER NOT NULL DEFAULT 0 CHECK (box_owner IN (0, 1));
UPDATE admins SET box_owner = 1
 WHERE store_id = (SELECT id FROM stores ORDER BY created_at, id LIMIT 1);
