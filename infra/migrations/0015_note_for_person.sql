-- What the privacy team marked for the person (`--note-for-person`), kept apart from its
-- internal note: letters and the report print only this column, never `note`.
ALTER TABLE action_results ADD COLUMN IF NOT EXISTS note_for_person text;
ALTER TABLE collection_results ADD COLUMN IF NOT EXISTS note_for_person text;
