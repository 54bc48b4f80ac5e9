"""What the Slack app keeps: answer log, gaps, event claims, follows, modes, notifications."""
