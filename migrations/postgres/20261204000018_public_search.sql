-- Search of the published cases, ignoring Vietnamese diacritics and case. `search_text` holds
-- the public title, excerpt and (once final) answer folded in Rust (hdnd_hub::search::fold):
-- lowercase ASCII words split by single spaces, NULL while the public may not see the case.
-- The 'simple' configuration neither stems nor drops stop words, so it cuts the text into the
-- words SQLite's FTS5 ascii tokenizer cuts, and both backends find the same cases.
ALTER TABLE cases ADD COLUMN search_text TEXT;

CREATE INDEX cases_search ON cases USING GIN (to_tsvector('simple', search_text))
WHERE search_text IS NOT NULL;

-- The public listing's order and its cursor (received_at, code), over the public rows only.
CREATE INDEX cases_public_received ON cases (received_at DESC, code DESC)
WHERE published = TRUE AND kind <> 'to_cao';
