package events

// HorizonSQL is the outbox's horizon on PostgreSQL (tests wait for it).
const HorizonSQL = horizonSQL
