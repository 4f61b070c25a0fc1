"""Parsers for the public sources of the four tasks: files in their original formats to rows.

Each function reads already downloaded files (no network) and yields rows shaped like the
builders' features, so every format is tested on small fixture files.  The builders own the
downloads (see each module's ``URLS``).
"""
