"""Shared core of the housing model: schema, features, bundle format, events. Talks to no service."""
