-- The Reply-To of an outgoing mail about a case: the case's signed reply address, so that a
-- reply finds its case whatever the client does with the threading headers.
ALTER TABLE outbox ADD COLUMN reply_to TEXT;
