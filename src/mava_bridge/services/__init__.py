"""The actions a support agent takes, free of Slack and HTTP details."""
