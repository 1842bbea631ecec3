"""Monitoring: the CloudEvents collector, the Evidently drift job and the dashboard.

The only package that imports evidently. Evidently is imported lazily inside the functions that
need it: it takes seconds to import and the collector never needs it.
"""
