-- Case-insensitive search for every script, not just ASCII. Under COLLATE "C", PostgreSQL's lower() folds
-- only A-Z, so `é` never matched `É`; other collations are not the same on every PostgreSQL build (PGlite
-- has no ICU). So the app stores the name lowercased by JavaScript (full Unicode, the same everywhere) at
-- write time, as it already does for emails. Rows written before this migration are filled in at startup
-- (UsersRepository.prepare).
ALTER TABLE users ADD COLUMN name_lower text COLLATE "C";
