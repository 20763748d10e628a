"""Hearth events layer."""
