"""DynamoDB persistence: the only package that talks to the table."""
