"""The policy pages, by page group: versions (the policies and their versions), acceptance (read and
accept), dashboards (who has accepted what, and ask the policy)."""
