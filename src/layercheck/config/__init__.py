"""layercheck's configuration: from the files on disk to the settings a file is checked with.

- `options`: every key, one typed row each (`OPTIONS`): its type, default, fallbacks, docs.
- `files`: where configuration files and project roots are; reading a TOML document.
- `loading`: a file's table validated against the rows, fallbacks filled in -> `RawConfig`.
- `settings`: `RawConfig` + the command line's `Overrides` -> `Settings`, resolved.
- `selection`: which rule codes select / extend-select / ignore turn on (ruff's way).
- `workspace`: which `Settings` govern a file (the nearest config file); module names.
- `globs`: the gitignore-flavoured patterns of excludes, per-file-ignores and layer maps.
- `errors`: `ConfigError`, a bad file or value (exit code 2).
"""
