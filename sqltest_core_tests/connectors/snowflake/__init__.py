"""Snowflake connector tests: the real driver over HTTP against a local emulator."""
