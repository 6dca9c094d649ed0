"""`layercheck server`: the language server, on pygls.

Diagnostics for each open Python document come from its unsaved text, checked against
the index of the saved tree (`live.py`); they are published again when the document
changes, when a file is saved or changes on disk (other documents may depend on it), and
when a configuration file changes. Code actions: each finding's fix (safe ones always,
unsafe ones when `unsafe-fixes` is on), "fix all" as `source.fixAll.layercheck`, and
"disable LCxxx for this line".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from layercheck import __version__
from layercheck.config.files import SETTINGS_FILES
from layercheck.fixes.run import applicable
from layercheck.model import Applicability, Finding
from layercheck.server.live import Checked, LiveChecker
from layercheck.server.protocol import (
    FIX_ALL,
    SOURCE,
    Lines,
    diagnostic,
    kinds_wanted,
    overlaps,
    text_edit,
    workspace_edit,
)

_WATCHED: Final = (
    "**/*.py",
    "**/requirements*.txt",
    *(f"**/{name}" for name in sorted(SETTINGS_FILES)),
)
_LANGUAGES: Final = frozenset({"python"})

log = logging.getLogger(__name__)


class LayercheckServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__)
        self.live: LiveChecker | None = None
        self.checked: dict[str, tuple[int | None, Checked]] = {}
        """The last check of each open document, by URI, with the version it saw."""
        self.unsafe: bool | None = None
        """`unsafeFixes` from the client's initialization options (None: the config's)."""

    # -- checking and publishing -------------------------------------------------------
    def checker(self) -> LiveChecker:
        if self.live is None:
            root = self.workspace.root_path
            self.live = LiveChecker(Path(root) if root else Path.cwd(), warn=self._log)
        return self.live

    def _log(self, message: str) -> None:
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Warning, message=message)
        )

    def lines(self, text: str) -> Lines:
        return Lines(text, self.workspace.position_encoding)

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri)
        if path is None or not path.endswith((".py", ".pyi")):
            return
        checked = self.checker().check(Path(path), document.source)
        if checked is None:  # excluded by the settings
            self.checked.pop(uri, None)
            self._send(uri, document.version, [])
            return
        self.checked[uri] = (document.version, checked)
        chained = any(finding.chain for finding in checked.findings)
        index = self.checker().index_paths(checked.file) if chained else None
        lines = self.lines(checked.text)
        found = [
            diagnostic(
                finding,
                lines,
                index,
                self.checker().handler_places(checked.file, finding)
                if finding.code == "LC304"
                else (),
            )
            for finding in checked.findings
        ]
        self._send(uri, document.version, found)

    def publish_open(self) -> None:
        for uri in list(self.checked):
            if uri in self.workspace.text_documents:
                self.publish(uri)

    def _send(self, uri: str, version: int | None, found: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )

    def disk_changed(self, paths: list[Path]) -> None:
        self.checker().changed(paths)
        self.publish_open()

    # -- code actions ------------------------------------------------------------------
    def unsafe_fixes(self, checked: Checked) -> bool:
        if self.unsafe is not None:
            return self.unsafe
        return self.checker().settings_for(checked.file.path).unsafe_fixes

    def actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        held = self.checked.get(uri)
        if held is None:
            return []
        version, checked = held
        only = params.context.only
        lines = self.lines(checked.text)
        unsafe = self.unsafe_fixes(checked)
        found: list[types.CodeAction] = []
        quick = types.CodeActionKind.QuickFix.value
        for finding in checked.findings:
            if not overlaps(finding, lines, params.range):
                continue
            shown = [diagnostic(finding, lines)]
            if kinds_wanted(only, quick) and applicable(finding, unsafe):
                action = self._fix_action(uri, version, checked, finding, shown)
                if action is not None:
                    found.append(action)
            if kinds_wanted(only, quick):
                text = self.checker().with_noqa(checked, finding)
                edit = text_edit(checked.text, text) if text is not None else None
                if edit is not None:
                    found.append(
                        types.CodeAction(
                            title=f"Disable {finding.code} for this line",
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=shown,
                            edit=workspace_edit(uri, version, edit),
                        )
                    )
        if kinds_wanted(only, FIX_ALL):
            fixed = self.checker().fixed_all(checked, unsafe)
            edit = text_edit(checked.text, fixed)
            if edit is not None:
                found.append(
                    types.CodeAction(
                        title="layercheck: Fix all auto-fixable problems",
                        kind=FIX_ALL,
                        edit=workspace_edit(uri, version, edit),
                    )
                )
        return found

    def _fix_action(
        self,
        uri: str,
        version: int | None,
        checked: Checked,
        finding: Finding,
        shown: list[types.Diagnostic],
    ) -> types.CodeAction | None:
        fix = finding.fix
        assert fix is not None
        text = self.checker().fixed_one(checked, finding)
        edit = text_edit(checked.text, text) if text is not None else None
        if edit is None:
            return None
        unsafe = fix.applicability is Applicability.UNSAFE
        return types.CodeAction(
            title=f"{finding.code}: {fix.message}" + (" (unsafe)" if unsafe else ""),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=shown,
            is_preferred=not unsafe,
            edit=workspace_edit(uri, version, edit),
        )


def _paths(changes: list[types.FileEvent]) -> list[Path]:
    found: list[Path] = []
    for change in changes:
        path = to_fs_path(change.uri)
        if path is not None:
            found.append(Path(path))
    return found


def build() -> LayercheckServer:
    server = LayercheckServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: LayercheckServer, params: types.InitializeParams) -> None:
        options: Any = params.initialization_options
        if isinstance(options, dict):
            unsafe = options.get("unsafeFixes")
            if isinstance(unsafe, bool):
                ls.unsafe = unsafe

    @server.feature(types.INITIALIZED)
    def initialized(ls: LayercheckServer, params: types.InitializedParams) -> None:
        capabilities = ls.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities else None
        if watched is None or not watched.dynamic_registration:
            return
        watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in _WATCHED]
        ls.client_register_capability(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="layercheck-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=watchers
                        ),
                    )
                ]
            )
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LayercheckServer, params: types.DidOpenTextDocumentParams) -> None:
        if params.text_document.language_id in _LANGUAGES:
            ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LayercheckServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri in ls.checked:
            ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LayercheckServer, params: types.DidSaveTextDocumentParams) -> None:
        path = to_fs_path(params.text_document.uri)
        if path is not None:
            ls.disk_changed([Path(path)])

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LayercheckServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.checked.pop(uri, None) is not None:
            ls._send(uri, None, [])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: LayercheckServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.disk_changed(_paths(list(params.changes)))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL],
        ),
    )
    def code_action(ls: LayercheckServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.actions(params)

    return server


def serve() -> None:
    """Speak the protocol over stdin and stdout until the client says exit."""
    build().start_io()
