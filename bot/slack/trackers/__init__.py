"""Filing action items in GitHub or Jira from Slack: the buttons, the push, its messages."""
