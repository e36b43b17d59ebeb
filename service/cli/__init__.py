"""The `tally` command: one module per operator command, each with register(subparsers)."""
