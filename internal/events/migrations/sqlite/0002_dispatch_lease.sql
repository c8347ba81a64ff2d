-- The dispatcher's lease: several servers on one store (PostgreSQL) each
-- run a dispatcher, and one delivers at a time: the holder renews the
-- lease well before it expires, the others wait and take it over once it
-- has expired (a holder killed or cut off). A holder's cursor updates are
-- fenced by the lease: one that lost it moves no cursor.
CREATE TABLE event_dispatch_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
INSERT INTO event_dispatch_lease (id, holder, expires_at) VALUES (1, '', '');
