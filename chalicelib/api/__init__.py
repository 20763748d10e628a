"""Hearth api layer."""
