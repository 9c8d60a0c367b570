"""Action items pushed to GitHub Issues or Jira, and their closure flowing back."""
