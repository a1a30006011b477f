"""Shared plumbing: settings, database engine and session, ingest bookkeeping, offline maps.

Neither domain package (``leakdet``, ``disaster``) imports the other; both import this.
"""
