"""The per-file semantic model: what the walk knows about the file at each node.

`model` holds the core (where the walk is, names and scopes, the project index) and
builds the parts a run needs; each part is updated by the walk before any rule sees a
node, and rules only ask it questions:

- `sessions`: which names and `self` attributes hold SQLAlchemy sessions, factories, and
  objects built with a session;
- `values`: which class a name holds an instance (or the class) of;
- `routes`: which functions are path operations, and how they are registered;
- `migrations`: the Alembic operations a migration's functions run;
- `schemas`: the module-level class bodies of the file.
"""
