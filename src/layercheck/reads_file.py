"""The reads file of a findings cache (findings_cache.py): what each file's findings read
of the project index (index_reads.py), as (question, answer hash) pairs.

The file is a run of records, one a file's reads: the pairs as JSON, zlib-compressed
(one file's reads repeat the same names, a rule that asks about every class of the
project). The findings file names each file's record by where it is, [offset, length,
digest of its bytes]: a reader takes those bytes, checks them and parses that one record,
so that checking a file's reads never loads the others, and a record that does not match
its digest (a damaged file, another process's) holds nothing. Two files with the same
reads share one record.

A record is written as soon as the file's reads arrive, not kept: a cold run of a large
project holds no read in memory (at 10,000 files they were hundreds of MiB as objects).
Appending and renewing the file are records.py's, shared with the facts cache.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable

from layercheck.index_reads import Reads
from layercheck.records import UNKNOWN, RecordsFile, valid_at
from layercheck.records import At as ReadsAt

__all__ = ["UNKNOWN", "ReadsAt", "ReadsFile", "encode_reads", "valid_at"]


def encode_reads(reads: Reads) -> bytes:
    return zlib.compress(json.dumps(reads, separators=(",", ":")).encode(), 1)


class ReadsFile(RecordsFile):
    """The reads file at `path`, whose records the findings file names in `named`
    (records.py)."""

    def hold(self, at: object, holds: Callable[[str, str], bool]) -> bool:
        """Every read of the record at `at` still gets its answer (False when the record
        is unknown)."""
        data = self.record(at)
        if data is None:
            return False
        try:
            pairs = json.loads(zlib.decompress(data))
            for question, answer in pairs:
                if not holds(question, answer):
                    return False
        except (ValueError, TypeError, RecursionError, zlib.error):
            return False
        return True

    def add(self, data: bytes) -> ReadsAt:
        """A file's reads (as `encode_reads` made them, in the worker that gathered them)
        written now; where they are (UNKNOWN when they cannot be)."""
        return self.add_record(data)
