"""Shared core of the housing model: schema, features, bundle format, events.

It talks to no service.
"""
