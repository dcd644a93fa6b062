-- Mail already taken in, by a keyed hash of its sender and Message-ID: the same mail delivered
-- twice (by the council's relay and over IMAP, or again after the mailbox's UIDVALIDITY
-- changed) is a replay whatever its bytes. The row that processed it first is named.
CREATE TABLE inbound_mail (
    mail_key   TEXT        PRIMARY KEY,
    inbound_id BIGINT      NOT NULL REFERENCES inbound (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
