"""layercheck's benchmark, run as `python bench/run.py` (see bench/README.md).

The pipeline, one module a stage: `plan` decides the project (entities, planted
violations), `templates` write each module's text into a `source.Source`, `generator`
writes the tree, `scenarios` time the commands on it (with `timing`), `report` prints the
result, and `cli` parses the options and runs the stages in that order.
"""
