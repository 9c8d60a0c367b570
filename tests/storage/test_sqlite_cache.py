"""Every pooled SQLite connection keeps a bounded page cache, so a server's memory stops
growing once its connections are open, however large the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.db import READ_ONLY, SQLITE_CACHE_KIB, make_engine


def test_each_pooled_connection_caches_at_most_the_bound(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        # Two at once: two connections of the pool, each set up on connect (reads, so neither
        # waits for the other's write lock).
        reads = {READ_ONLY: True}
        with engine.connect().execution_options(**reads) as first, \
                engine.connect().execution_options(**reads) as second:
            for conn in (first, second):
                # A negative cache_size is a size in KiB rather than a number of pages.
                assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    finally:
        engine.dispose()
    assert SQLITE_CACHE_KIB < 2000  # below SQLite's default of 2,000 KiB a connection
