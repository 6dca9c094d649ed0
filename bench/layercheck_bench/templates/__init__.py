"""The text of every module the generated project holds: one module here per layer, plus
the fixed files and the package __init__s."""
