-- Search by date of birth and the first words of a name ("nguyen thi" born
-- on 1990-05-12): the date, with its year-only and month-only forms, picks
-- at most a few dozen keys, and within each the name is a range. Through
-- persons_name_birth the same search walks every "nguyen thi…" entry, a
-- few per cent of the register.
CREATE INDEX persons_birth_name ON persons (birth_key, name_folded);
