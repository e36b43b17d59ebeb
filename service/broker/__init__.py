"""RabbitMQ: the topology (exchange `tally`, five quorum queues, their policies), the
confirming publisher, and the management API client used for vhosts, policies and depths."""
