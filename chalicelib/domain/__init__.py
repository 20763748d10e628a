"""Hearth domain layer."""
