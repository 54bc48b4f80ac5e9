"""rumorbot: the Slack app and the command line."""
