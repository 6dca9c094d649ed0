"""Applying fixes: the one place that sorts edits, drops overlaps, re-lints up to the pass
limit, checks that the result parses and writes files back atomically. A rule only says
what to change (its findings' `Fix` data, built with `layercheck.edits`); libcst is
imported here, lazily, only when a pass leaves an import unused."""
