"""What the app-config rules (LC8) share: which modules are settings modules, how environment
variables are read, and what a plaintext password value looks like."""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass
from typing import Final

from layercheck.facts import FileFacts
from layercheck.index import ProjectIndex, derived
from layercheck.layers import Layer
from layercheck.pydantic_models import is_settings_class
from layercheck.rules._base import RuleContext
from layercheck.tree_walk import walk

ENVIRON: Final = "os.environ"
ENV_GETTERS: Final = frozenset({"os.environ.get", "os.getenv"})
SETTINGS_PACKAGES: Final = frozenset({"settings", "config"})
SETTINGS_READERS: Final = frozenset(
    {"starlette.config.Config", "environs.Env", "environs.environs.Env"}
)
"""Module-level settings objects from non-Pydantic libraries (`config = Config(".env")`,
`env = Env()`): a module that builds one is where configuration is read (dispatch)."""
SETTINGS_NAMES: Final = SETTINGS_PACKAGES | {"conf", "configuration"}
"""Module names that say the module is the settings module, whatever class it uses."""
PASSWORD: Final = "password"


@dataclass(frozen=True, slots=True)
class SettingsModules:
    modules: frozenset[str]
    packages: frozenset[str]

    def __contains__(self, module: object) -> bool:
        if not isinstance(module, str):
            return False
        if module.rpartition(".")[2] in SETTINGS_NAMES:
            return True  # `config.py` of a dataclass or plain class: where settings are read
        return module in self.modules or any(
            module == package or module.startswith(f"{package}.") for package in self.packages
        )


_CACHE: weakref.WeakKeyDictionary[ProjectIndex, SettingsModules] = weakref.WeakKeyDictionary()


def _defines_settings(item: FileFacts, index: ProjectIndex) -> bool:
    if any(is_settings_class(f"{item.module}.{cls.name}", index) for cls in item.classes):
        return True
    return any(index.resolve(callee) in SETTINGS_READERS for _, callee in item.instances)


def settings_modules(index: ProjectIndex) -> SettingsModules:
    """Modules that define a `BaseSettings` subclass (or build a settings-library
    object), and the `settings`/`config` packages that hold such a module."""
    found = _CACHE.get(index)
    if found is None:
        modules: set[str] = set()
        packages: set[str] = set()
        for module, item in index.by_module.items():
            if not _defines_settings(item, index):
                continue
            modules.add(module)
            package = module if item.is_package else module.rpartition(".")[0]
            if package.rpartition(".")[2] in SETTINGS_PACKAGES:
                packages.add(package)
        found = _CACHE[index] = SettingsModules(frozenset(modules), frozenset(packages))
    return found


@derived("app-config.settings-module")
def _settings_module(index: ProjectIndex, module: str) -> bool:
    return module in settings_modules(index)


def is_settings_module(module: str | None, index: ProjectIndex) -> bool:
    """`module` is where settings are read (`settings_modules`). Asked as one derived
    answer: the set is built from every class of the project, and a file's recorded
    reads should hold the answer, not each class looked at to reach it."""
    if module is None:
        return False
    if module.rpartition(".")[2] in SETTINGS_NAMES:
        return True
    return _settings_module(index, module)


def is_test_file(ctx: RuleContext) -> bool:
    facts = ctx.index.by_path.get(str(ctx.path))
    return facts is not None and facts.is_test


def is_migration(ctx: RuleContext) -> bool:
    return ctx.layer is Layer.MIGRATIONS


def in_main_block(ctx: RuleContext) -> bool:
    """Inside the body of `if __name__ == "__main__":`."""
    chain = ctx.ancestors
    for depth in range(len(chain) - 1):
        node = chain[depth]
        if isinstance(node, ast.If) and _is_main_test(node.test):
            child = chain[depth + 1]
            if any(stmt is child for stmt in node.body):
                return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def literal_key(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def plaintext_password(value: ast.expr, ctx: RuleContext) -> bool:
    """A value that is the password as received: `data.password`, `form["password"]`,
    `body.get("password")`, or a parameter named `password`. A call around it
    (`hash_password(data.password)`) is not."""
    if isinstance(value, ast.Attribute):
        return value.attr == PASSWORD and isinstance(value.value, ast.Name | ast.Attribute)
    if isinstance(value, ast.Subscript):
        return literal_key(value.slice) == PASSWORD
    if isinstance(value, ast.Call):
        func = value.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and bool(value.args)
            and literal_key(value.args[0]) == PASSWORD
        )
    if isinstance(value, ast.Name) and value.id == PASSWORD:
        function = ctx.enclosing_function()
        if function is None:
            return False
        arguments = function.args
        if not any(
            arg.arg == PASSWORD
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        ):
            return False
        # A parameter the function rebinds (`password = hash_password(password)`) is not
        # the value received any more.
        return not any(
            isinstance(node, ast.Name) and node.id == PASSWORD and isinstance(node.ctx, ast.Store)
            for node in walk(function)
        )
    return False
