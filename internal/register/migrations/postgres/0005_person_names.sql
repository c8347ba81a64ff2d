-- Search by any words of a name, in any order ("van dan" finds Trần Văn
-- Dần): the words of each unaccented name, indexed for containment
-- (words @> '{van,dan}'). SQLite keeps a full-text index instead.
CREATE INDEX persons_name_words ON persons USING gin (string_to_array(name_folded, ' '));
