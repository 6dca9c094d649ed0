"""The editor's path, end to end: `layercheck server` started over stdio by a real LSP
client (pygls's), on the generated project; one service module opened, then edited
`--edits` times; each latency is from sending the change to receiving that document's
diagnostics. Prints the median and the 90th percentile, the time to the first
diagnostics (the index built, from a warm facts cache or cold), and the server's peak
memory (VmHWM from /proc, Linux only).

    python bench/editor.py [--files 2000] [--edits 40] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from layercheck_bench.generator import CACHE_DIR, generate


def _peak_rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def _service(root: Path) -> Path:
    found = sorted((root / "app" / "services").rglob("*.py"))
    modules = [path for path in found if path.name != "__init__.py"]
    return modules[len(modules) // 2]


@dataclass(frozen=True)
class Measured:
    first: float
    median: float
    p90: float
    peak_mib: float | None


async def _measure(root: Path, edits: int) -> Measured:
    client = LanguageClient("layercheck-bench", "1")
    arrived: dict[str, asyncio.Event] = {}

    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        event = arrived.get(params.uri)
        if event is not None:
            event.set()

    def register(params: types.RegistrationParams) -> None:
        return None

    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(diagnostics)
    client.feature(types.CLIENT_REGISTER_CAPABILITY)(register)

    await client.start_io(sys.executable, "-m", "layercheck", "server")
    server = client._server  # the subprocess pygls started
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=root.as_uri(), process_id=None
        )
    )
    client.initialized(types.InitializedParams())
    path = _service(root)
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    arrived[uri] = asyncio.Event()
    started = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    await arrived[uri].wait()
    first = time.perf_counter() - started
    latencies: list[float] = []
    for number in range(edits):
        arrived[uri] = asyncio.Event()
        text += f"\n# edit {number}\n"
        started = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=number + 2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        await arrived[uri].wait()
        latencies.append(time.perf_counter() - started)
    peak = _peak_rss_mib(server.pid) if server is not None else None
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    ordered = sorted(latencies)
    return Measured(first, statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))], peak)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--cold", action="store_true", help="no facts cache before opening")
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix="layercheck-editor-")) / "project"
    try:
        generate(out, files=args.files)
        if not args.cold:
            # The facts cache a first `layercheck` run leaves, as a project usually has.
            import subprocess

            subprocess.run(
                [sys.executable, "-m", "layercheck", str(out), "--exit-zero", "--quiet"],
                check=False,
                capture_output=True,
            )
        else:
            shutil.rmtree(out / CACHE_DIR, ignore_errors=True)
        result = asyncio.run(_measure(out, args.edits))
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    peak = result.peak_mib
    print(f"project: {args.files} files ({'cold' if args.cold else 'warm facts cache'})")
    print(f"first diagnostics after open: {result.first * 1000:.0f} ms")
    print(
        f"after an edit ({args.edits} edits): median {result.median * 1000:.0f} ms, "
        f"p90 {result.p90 * 1000:.0f} ms"
    )
    print(f"server peak memory: {peak:.0f} MiB" if peak is not None else "server peak: n/a")
    return 0
