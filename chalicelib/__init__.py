"""Hearth: anonymous, facilitator-led support groups on AWS serverless."""
