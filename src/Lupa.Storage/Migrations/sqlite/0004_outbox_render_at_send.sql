-- A confirmation mail is rendered when it is sent, not inside the form's write transaction: the row
-- then carries what to render (subscription and request time) and an empty mime.
ALTER TABLE outbox ADD COLUMN render_ref text NULL;
