"""From a queued message to stored rows: decode, find the account's owner (or hold the
transaction), classify, write. Used by the consumers; nothing here knows about AMQP."""
