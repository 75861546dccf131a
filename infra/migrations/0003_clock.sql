-- The clock: extensions are reported on, and reminders repeat per occasion.
ALTER TABLE requests ADD COLUMN extended boolean NOT NULL DEFAULT false;

ALTER TABLE notifications ADD COLUMN occasion text NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN recipient_role text NOT NULL DEFAULT 'person';
ALTER TABLE notifications DROP CONSTRAINT notifications_reference_kind_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_once UNIQUE (reference, kind, occasion);
