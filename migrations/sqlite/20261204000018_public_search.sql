-- Search of the published cases, ignoring Vietnamese diacritics and case. `search_text` holds
-- the public title, excerpt and (once final) answer folded in Rust (hdnd_hub::search::fold):
-- lowercase ASCII words split by single spaces, NULL while the public may not see the case.
-- FTS5's ascii tokenizer cuts it into the words PostgreSQL's 'simple' parser cuts, so both
-- backends find the same cases. The FTS table keeps no copy of the text (external content).
ALTER TABLE cases ADD COLUMN search_text TEXT;

CREATE VIRTUAL TABLE cases_search USING fts5 (
    search_text,
    content = 'cases',
    content_rowid = 'id',
    tokenize = 'ascii'
);

CREATE TRIGGER cases_search_insert AFTER INSERT ON cases
WHEN new.search_text IS NOT NULL
BEGIN
    INSERT INTO cases_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER cases_search_update AFTER UPDATE OF search_text ON cases
BEGIN
    INSERT INTO cases_search (cases_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO cases_search (rowid, search_text)
    SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
END;

CREATE TRIGGER cases_search_delete AFTER DELETE ON cases
WHEN old.search_text IS NOT NULL
BEGIN
    INSERT INTO cases_search (cases_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;

-- The public listing's order and its cursor (received_at, code), over the public rows only.
CREATE INDEX cases_public_received ON cases (received_at DESC, code DESC)
WHERE published = TRUE AND kind <> 'to_cao';
