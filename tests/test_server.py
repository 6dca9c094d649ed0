"""`layercheck server` end to end: a real LSP client (pytest-lsp) starts the server over
stdio on a copy of a fixture project, opens a file, and reads diagnostics; applies code
actions (a fix, "fix all", "disable for this line") and reads the new diagnostics; and
sees the diagnostics follow the unsaved buffer, other files changed on disk, and a
changed configuration."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from support import give_profile_card_from_attributes

SERVICE = "app/services/profile_service.py"
SCHEMAS = "app/schemas/profile.py"


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "layercheck", "server"]),
)
async def client(lsp_client: LanguageClient, bad_app: Path) -> AsyncIterator[None]:
    registered: list[types.Registration] = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        # As VS Code does: it then watches the files the server asked for.
        registered.extend(params.registrations)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=bad_app.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=bad_app.as_uri(), name="bad_app")],
        )
    )
    yield
    await lsp_client.shutdown_session()


class Document:
    """An open document on the client's side: its text and version."""

    def __init__(self, client: LanguageClient, path: Path) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.text = path.read_text(encoding="utf-8")
        self.version = 1

    async def open(self) -> list[types.Diagnostic]:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(
                    uri=self.uri, language_id="python", version=self.version, text=self.text
                )
            )
        )
        return await self.diagnostics()

    async def diagnostics(self) -> list[types.Diagnostic]:
        while True:
            await self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if self.uri in self.client.diagnostics:
                return list(self.client.diagnostics[self.uri])

    async def change(self, text: str) -> list[types.Diagnostic]:
        self.text = text
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return await self.diagnostics()

    async def actions(
        self, where: types.Range, only: Sequence[str] | None = None
    ) -> list[types.CodeAction]:
        found = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                range=where,
                context=types.CodeActionContext(diagnostics=[], only=only),
            )
        )
        return [action for action in found or [] if isinstance(action, types.CodeAction)]

    def applied(self, action: types.CodeAction) -> str:
        assert action.edit is not None
        assert action.edit.document_changes
        change = action.edit.document_changes[0]
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == self.uri
        text = self.text
        for edit in sorted(change.edits, key=_start, reverse=True):
            assert isinstance(edit, types.TextEdit)
            start = _offset(text, edit.range.start)
            end = _offset(text, edit.range.end)
            text = text[:start] + edit.new_text + text[end:]
        return text


def _start(edit: object) -> tuple[int, int]:
    assert isinstance(edit, types.TextEdit)
    return (edit.range.start.line, edit.range.start.character)


def _offset(text: str, position: types.Position) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: position.line]) + position.character


def _codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def _one(diagnostics: Sequence[types.Diagnostic], code: str) -> types.Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, _codes(diagnostics)
    return found[0]


@pytest.mark.asyncio
async def test_open_gives_the_findings_with_code_range_severity_and_docs(
    client: LanguageClient, bad_app: Path
) -> None:
    found = await Document(client, bad_app / SERVICE).open()
    assert _codes(found) == ["LC601", "LC602", "LC607", "LC610"]
    from_orm = _one(found, "LC601")
    # Line 6, `ProfileResponse.from_orm(user)`: 0-based line 5.
    assert from_orm.range.start.line == 5
    assert from_orm.source == "layercheck"
    assert from_orm.severity == types.DiagnosticSeverity.Warning
    assert from_orm.code_description is not None
    assert from_orm.code_description.href.endswith("/LC601.md")
    # LC607 needs the schema module's facts: the project index is there.
    assert "from_attributes" in _one(found, "LC607").message


@pytest.mark.asyncio
async def test_a_quick_fix_applied_clears_its_finding(
    client: LanguageClient, bad_app: Path
) -> None:
    document = Document(client, bad_app / SERVICE)
    found = await document.open()
    actions = await document.actions(_one(found, "LC601").range)
    fixes = [a for a in actions if a.title.startswith("LC601")]
    assert len(fixes) == 1
    assert fixes[0].kind == types.CodeActionKind.QuickFix
    assert fixes[0].is_preferred
    after = await document.change(document.applied(fixes[0]))
    assert "model_validate(user)" in document.text
    assert _codes(after) == ["LC602", "LC607", "LC610"]


@pytest.mark.asyncio
async def test_fix_all_and_disable_for_this_line(client: LanguageClient, bad_app: Path) -> None:
    document = Document(client, bad_app / SERVICE)
    found = await document.open()
    whole = types.Range(types.Position(0, 0), types.Position(len(document.text.splitlines()), 0))
    fix_all = await document.actions(whole, only=["source.fixAll"])
    assert [a.kind for a in fix_all] == ["source.fixAll.layercheck"]
    after = await document.change(document.applied(fix_all[0]))
    assert _codes(after) == ["LC607"]  # LC607 has no fix
    disable = [
        a
        for a in await document.actions(_one(after, "LC607").range)
        if a.title == "Disable LC607 for this line"
    ]
    assert len(disable) == 1
    assert _codes(await document.change(document.applied(disable[0]))) == []
    assert "# noqa: LC607" in document.text
    assert found  # the first diagnostics were not empty


@pytest.mark.asyncio
async def test_diagnostics_follow_the_unsaved_buffer(client: LanguageClient, bad_app: Path) -> None:
    document = Document(client, bad_app / SERVICE)
    await document.open()
    added = document.text + "\n\ndef dump(data: ProfileResponse) -> dict:\n    return data.dict()\n"
    found = await document.change(added)
    assert _codes(found).count("LC602") == 2
    # The file on disk was never written.
    assert "data.dict()" not in (bad_app / SERVICE).read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_other_files_changed_on_disk_and_the_config(
    client: LanguageClient, bad_app: Path
) -> None:
    document = Document(client, bad_app / SERVICE)
    assert "LC607" in _codes(await document.open())
    schemas = bad_app / SCHEMAS
    give_profile_card_from_attributes(schemas)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=schemas.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert "LC607" not in _codes(await document.diagnostics())

    config = bad_app / "pyproject.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[tool.layercheck]", '[tool.layercheck]\nignore = ["LC601"]', 1
        ),
        encoding="utf-8",
    )
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert "LC601" not in _codes(await document.diagnostics())


@pytest.mark.asyncio
async def test_a_file_that_does_not_parse_is_one_error(
    client: LanguageClient, bad_app: Path
) -> None:
    document = Document(client, bad_app / SERVICE)
    await document.open()
    found = await document.change("def broken(:\n")
    assert _codes(found) == ["LC001"]
    assert found[0].severity == types.DiagnosticSeverity.Error


def test_without_pygls_one_line_and_exit_2() -> None:
    import subprocess

    code = (
        "import sys; sys.modules['pygls'] = None; from layercheck.cli import main; main(['server'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "pip install 'layercheck[server]'" in proc.stderr


@pytest.mark.asyncio
async def test_related_places_the_handler_of_lc304(client: LanguageClient, bad_app: Path) -> None:
    found = await Document(client, bad_app / "app/routes/moderation.py").open()
    redundant = _one(found, "LC304")
    assert redundant.related_information
    place = redundant.related_information[0]
    assert place.location.uri == (bad_app / "app/main.py").as_uri()
    main = (bad_app / "app/main.py").read_text(encoding="utf-8").splitlines()
    assert "add_exception_handler(AppError" in main[place.location.range.start.line]
