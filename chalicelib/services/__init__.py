"""Hearth services layer."""
