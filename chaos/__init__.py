"""`tally chaos`: a fault campaign against Tally's own stack, and the check of every transaction."""
