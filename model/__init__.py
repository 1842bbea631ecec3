"""Shared core of the housing model: schema, features, bundle format, events, settings, CLI runner.

It serves nothing and imports no other package of ours, but it does I/O: ``model.data`` downloads
the dataset over HTTPS when no local copy is given, and bundles (``model.bundle_store``) and events
(``model.events``) are read and written in directories or S3 (``model.s3``; boto3 is imported only
for ``s3://`` URIs).
"""
