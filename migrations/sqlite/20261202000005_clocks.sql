-- The law's three clocks (design.md §8): the council's own duty, the resolver's (followed up),
-- and the relay of the unit's result to the citizen. A clock runs while its source is set; a
-- running clock without a due date is "unknown" (the profile lacks that year's calendar).

-- Whether the council itself is the competent body, and the flags the law wants in writing.
ALTER TABLE cases ADD COLUMN competent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN especially_complex BOOLEAN NOT NULL DEFAULT FALSE;
-- A kiến nghị or phản ánh on an administrative regulation (NĐ 20/2008).
ALTER TABLE cases ADD COLUMN regulation BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN flags_reason TEXT;

-- The unit's result recorded: starts the relay clock.
ALTER TABLE cases ADD COLUMN result_on TEXT;
-- tạm đình chỉ: since when, and the days of finished suspensions (they do not count).
ALTER TABLE cases ADD COLUMN suspended_on TEXT;
ALTER TABLE cases ADD COLUMN suspended_days INTEGER NOT NULL DEFAULT 0;
-- Days the council clock waited for the citizen, where the profile lets a question pause it.
ALTER TABLE cases ADD COLUMN council_paused_days INTEGER NOT NULL DEFAULT 0;
-- The state a question or a suspension was entered from, and returns to.
ALTER TABLE cases ADD COLUMN resume_status TEXT;

ALTER TABLE cases ADD COLUMN council_source TEXT;
ALTER TABLE cases ADD COLUMN statutory_source TEXT;
ALTER TABLE cases ADD COLUMN relay_due TEXT;
ALTER TABLE cases ADD COLUMN relay_source TEXT;

-- Cases stored before the clocks had sources keep their dates, marked as such.
UPDATE cases SET council_source = 'chưa ghi nguồn' WHERE council_due IS NOT NULL;
UPDATE cases SET statutory_source = 'chưa ghi nguồn' WHERE statutory_due IS NOT NULL;
-- A needs_info case asked before this migration was asked from received (the only edge then).
UPDATE cases SET resume_status = 'received' WHERE status = 'needs_info';
