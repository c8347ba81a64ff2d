-- On SQLite persons becomes keyed by the PIN as an integer (see that
-- engine's migration). PostgreSQL keeps `pin text PRIMARY KEY`: its index
-- points at the heap tuple, so a look-up by PIN already reads one index
-- and one heap page. Nothing changes here.
SELECT 1;
