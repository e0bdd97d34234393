"""One module per `newsmon` command: the orchestration the CLI and the daemon share."""
