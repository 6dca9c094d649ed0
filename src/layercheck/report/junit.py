"""JUnit XML, in ruff's shape (crates/ruff_db/src/diagnostic/render/junit.rs, via quick-junit).

Attributes and their order are those ruff 0.17.6 writes (`skipped="0"`, no `disabled`).
One `<testsuite>` per file (sorted by path, `package="org.layercheck"`), one failed
`<testcase name="org.layercheck.LC201" classname="app/services/users" line= column=>` per
finding, with a `severity` property and `<failure message="...">line R, col C, message`.
A clean run is one passing suite named `layercheck` with a `No errors found` test case.
The classname is the path without its extension, as ruff's. Unlike ruff, which writes
absolute paths, suite names and classnames are relative to the working folder like every
other text format of ours: CI test reports stay readable and do not change per machine.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Final

from layercheck.model import Finding
from layercheck.report._common import display_path
from layercheck.report.options import ReportOptions, Write

PROGRAM: Final = "layercheck"
PACKAGE: Final = f"org.{PROGRAM}"
DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry at all, even escaped (ElementTree writes them raw)."""


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


def _suite(name: str, tests: int, failures: int) -> ET.Element:
    return ET.Element(
        "testsuite",
        {
            "name": _xml_text(name),
            "tests": str(tests),
            "skipped": "0",
            "errors": "0",
            "failures": str(failures),
            "package": PACKAGE,
        },
    )


def _case(suite: ET.Element, finding: Finding, classname: str) -> None:
    row, column = finding.start.row, finding.start.column
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": f"{PACKAGE}.{finding.code}",
            "classname": classname,
            "line": str(row),
            "column": str(column),
        },
    )
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", {"name": "severity", "value": "error"})
    message = _xml_text(finding.message)
    failure = ET.SubElement(case, "failure", {"message": message})
    failure.text = f"line {row}, col {column}, {message}"


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    """One suite at a time: a document of every finding as elements was the largest
    thing a run of a large project held (30,000 generated files: about 150,000 findings,
    each five elements). Each suite is indented as `ET.indent` indents it inside the
    whole document, so the text is the same."""
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(display_path(finding.path, options.cwd), []).append(finding)
    count = len(findings) if by_file else 1
    root = ET.Element(
        "testsuites",
        {
            "name": PROGRAM,
            "tests": str(count),
            "skipped": "0",
            "failures": str(len(findings)),
            "errors": "0",
        },
    )
    opening = ET.tostring(root, encoding="unicode", short_empty_elements=False)
    out(DECLARATION + opening.removesuffix("</testsuites>") + "\n")
    if not by_file:
        suite = _suite(PROGRAM, tests=1, failures=0)
        ET.SubElement(suite, "testcase", {"name": "No errors found", "classname": PROGRAM})
        out(_indented(suite))
    for path, file_findings in sorted(by_file.items()):
        suite = _suite(path, tests=len(file_findings), failures=len(file_findings))
        classname = _xml_text(os.path.splitext(path)[0])
        for finding in file_findings:
            _case(suite, finding, classname)
        out(_indented(suite))
    out("</testsuites>\n")


def _indented(suite: ET.Element) -> str:
    """A suite as the second level of the document: four spaces before it, its own
    children indented below it, a line end after it."""
    ET.indent(suite, space="    ", level=1)
    return "    " + ET.tostring(suite, encoding="unicode") + "\n"
