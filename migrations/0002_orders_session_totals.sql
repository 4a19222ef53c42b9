-- Session totals are summed on every order event: let the index answer them alone.
CREATE INDEX idx_orders_store_session_totals ON orders(store_id, session_id, status, total);
DROP INDEX idx_orders_store_session;
