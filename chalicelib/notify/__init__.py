"""Outbound messages: SMS through SNS, email through SES, or the local outbox."""
