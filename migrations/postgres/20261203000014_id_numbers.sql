-- The personal identification number (số định danh cá nhân, căn cước, or a passport) that the
-- law asks of a complainant and a denouncer (NĐ 154/2026 art. 12). Personal data: a
-- complainant's is on the case, read by staff who may read it; a denouncer's is in the sealed
-- identity only.
ALTER TABLE cases ADD COLUMN citizen_id_number TEXT;
ALTER TABLE denouncer_identities ADD COLUMN id_number TEXT;
