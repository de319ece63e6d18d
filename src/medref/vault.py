"""The knowledge vault: our own concept pages, one Markdown file per concept.

A page is `<slug>.md`, where the slug is lowercase letters, digits and hyphens:

    ---
    description: "One sentence saying what the page is about."
    aliases: [CPT, HCPCS Level I]
    ---

    # Title

    Body text with [[other-page]] and [[other-page|a label]] links.

    ## Connections

    Links to related pages.

The front matter is a strict subset of YAML: one `key: value` per line, where a value is a
plain word run, a quoted string or a flow list `[a, "b, c"]`. It is parsed here, without a
YAML library, so that a page can mean only one thing; anything else raises
SourceFormatError naming the file, the line and the fix.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medref.errors import SourceFormatError, SourceMissingError

INDEX = "index"
"""The entry page: every page must be reachable from it by following links."""

FRONT_MATTER_KEYS = ("description", "aliases")

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
WIKILINK = re.compile(r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]")
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*))?\Z")
_LIST_ITEM = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,]*)\s*(,|\Z)""")
_PLAIN_FORBIDDEN_START = tuple("[]{}&*!|>%@`#,")

Value = str | list[str]


@dataclass(frozen=True, slots=True)
class VaultPage:
    slug: str
    """The file name without `.md`; the target of `[[slug]]` links and of `WIKI:slug`."""
    title: str
    """The text of the page's `# Title` heading."""
    description: str
    aliases: list[str]
    body: str
    """Everything after the title heading, links left as written."""
    links: list[str]
    """Target slugs of the page's wikilinks, in order of first appearance."""
    path: Path
    body_line: int
    """Line of the file where `body` starts, so problems found in the body name a line."""


@dataclass(frozen=True, slots=True)
class LinkProblem:
    kind: Literal["broken", "orphan", "unreachable"]
    slug: str
    """The page the problem is on."""
    path: Path
    line: int | None = None
    """Line of a broken link; None for page-level problems."""
    target: str | None = None
    """The missing slug of a broken link."""

    def __str__(self) -> str:
        if self.kind == "broken":
            return (
                f"{self.path}, line {self.line}: [[{self.target}]] links to a page that "
                f"does not exist; create {self.target}.md or fix the link"
            )
        if self.kind == "orphan":
            return f"{self.path}: no other page links to {self.slug}; link it from a related page"
        return (
            f"{self.path}: {self.slug} cannot be reached from {INDEX}.md by following "
            "links; link it from the index or from a page the index reaches"
        )


def load_vault(folder: Path) -> list[VaultPage]:
    """Every page of a vault folder, sorted by slug."""
    if not folder.is_dir():
        raise SourceMissingError(
            f"{folder}: no vault folder here; create it or point "
            "MEDREF_VAULT at the folder of concept pages"
        )
    return [parse_page(path) for path in sorted(folder.glob("*.md"))]


def parse_page(path: Path) -> VaultPage:
    """Read one page, refusing anything the format above does not allow."""
    slug = path.stem
    if not SLUG.match(slug):
        raise SourceFormatError(
            path,
            f"the file name {path.name!r} is not a slug",
            line=None,
            hint="rename it to lowercase letters, digits and hyphens, e.g. cpt-codes.md",
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            path, f"not UTF-8 text ({exc.reason})", line=None, hint="save the page as UTF-8"
        ) from exc
    end = _front_matter_end(path, lines)
    fields = _parse_front_matter(path, lines[1:end])
    description = fields.get("description")
    if not isinstance(description, str) or not description.strip():
        raise SourceFormatError(
            path,
            "the front matter has no description",
            line=1,
            hint="add a line description: \"One sentence about the page.\" between the '---' lines",
        )
    aliases = fields.get("aliases", [])
    if not isinstance(aliases, list):
        raise SourceFormatError(
            path,
            "aliases must be a list",
            line=_key_line(lines, "aliases"),
            hint="write it as aliases: [first, second]",
        )
    title_index = _title_index(path, lines, end + 1)
    body_start = title_index + 1
    while body_start < len(lines) and not lines[body_start].strip():
        body_start += 1
    body = "\n".join(lines[body_start:]).rstrip()
    return VaultPage(
        slug=slug,
        title=lines[title_index][2:].strip(),
        description=description.strip(),
        aliases=aliases,
        body=body,
        links=list(dict.fromkeys(target for target, _line in link_lines(body, body_start + 1))),
        path=path,
        body_line=body_start + 1,
    )


def link_lines(body: str, first_line: int = 1) -> list[tuple[str, int]]:
    """(target slug, line) of each wikilink in `body`, whose first line is `first_line`."""
    found: list[tuple[str, int]] = []
    for offset, line in enumerate(body.split("\n")):
        found.extend(
            (match.group(1).strip(), first_line + offset) for match in WIKILINK.finditer(line)
        )
    return found


def render_links(text: str) -> str:
    """Wikilinks as plain words, for indexing: `[[a|label]]` -> `label`, `[[a-b]]` -> `a b`."""
    return WIKILINK.sub(lambda m: (m.group(2) or m.group(1).replace("-", " ")).strip(), text)


def check_links(pages: Iterable[VaultPage]) -> list[LinkProblem]:
    """Broken links (with file and line), orphans (no inbound link; the index is exempt) and
    pages the index does not reach."""
    pages = list(pages)
    by_slug = {page.slug: page for page in pages}
    problems = [
        LinkProblem("broken", page.slug, page.path, line, target)
        for page in pages
        for target, line in link_lines(page.body, page.body_line)
        if target not in by_slug
    ]
    linked = backlinks(pages)
    problems += [
        LinkProblem("orphan", page.slug, page.path)
        for page in pages
        if page.slug != INDEX and not linked[page.slug]
    ]
    reached = _reachable(by_slug)
    problems += [
        LinkProblem("unreachable", page.slug, page.path)
        for page in pages
        if page.slug not in reached
    ]
    return problems


def backlinks(pages: Iterable[VaultPage]) -> dict[str, list[str]]:
    """For every page, the other pages that link to it, in page order."""
    pages = list(pages)
    inbound: dict[str, list[str]] = {page.slug: [] for page in pages}
    for page in pages:
        for target in page.links:
            if target in inbound and target != page.slug:
                inbound[target].append(page.slug)
    return inbound


def _reachable(by_slug: dict[str, VaultPage]) -> set[str]:
    if INDEX not in by_slug:
        return set()
    seen = {INDEX}
    queue = deque([INDEX])
    while queue:
        for target in by_slug[queue.popleft()].links:
            if target in by_slug and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _front_matter_end(path: Path, lines: list[str]) -> int:
    """Index of the closing `---` line."""
    if not lines or lines[0].rstrip() != "---":
        raise SourceFormatError(
            path,
            "the page does not start with front matter",
            line=1,
            hint="make the first line '---', then description: \"...\", then a closing '---'",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return index
    raise SourceFormatError(
        path,
        "the front matter is never closed",
        line=1,
        hint="add a line '---' after the last front-matter key",
    )


def _parse_front_matter(path: Path, lines: list[str]) -> dict[str, Value]:
    fields: dict[str, Value] = {}
    for offset, raw in enumerate(lines):
        line_number = offset + 2
        if not raw.strip():
            continue
        match = _KEY_LINE.match(raw.rstrip())
        if match is None:
            raise SourceFormatError(
                path,
                f"front-matter line {raw.strip()!r} is not key: value",
                line=line_number,
                hint='write one key per line, e.g. description: "..."; values must fit on one line',
            )
        key, value = match.group(1), match.group(2)
        if key not in FRONT_MATTER_KEYS:
            raise SourceFormatError(
                path,
                f"unknown front-matter key {key!r}",
                line=line_number,
                hint=f"use only {', '.join(FRONT_MATTER_KEYS)}",
            )
        if key in fields:
            raise SourceFormatError(
                path,
                f"the key {key!r} appears twice",
                line=line_number,
                hint="keep one of the two lines",
            )
        fields[key] = _parse_value(path, line_number, key, value or "")
    return fields


def _parse_value(path: Path, line: int, key: str, raw: str) -> Value:
    raw = raw.strip()
    if not raw:
        raise SourceFormatError(
            path, f"{key} has no value", line=line, hint=f'give it a value, e.g. {key}: "..."'
        )
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise SourceFormatError(
                path,
                f"the list of {key} is not closed",
                line=line,
                hint="end the list with ']' on the same line",
            )
        inner = raw[1:-1].strip()
        return (
            [_parse_scalar(path, line, key, item) for item in _split_items(inner)] if inner else []
        )
    return _parse_scalar(path, line, key, raw)


def _split_items(inner: str) -> list[str]:
    """Comma-separated items; a comma inside a quoted item does not split."""
    items: list[str] = []
    position = 0
    while True:
        match = _LIST_ITEM.match(inner, position)
        assert match is not None  # the unquoted alternative matches any text
        items.append(match.group(1))
        if not match.group(2):
            return items
        position = match.end()


def _parse_scalar(path: Path, line: int, key: str, raw: str) -> str:
    raw = raw.strip()
    if not raw:
        raise SourceFormatError(
            path,
            f"{key} has an empty item",
            line=line,
            hint="remove the extra comma or give the item a value",
        )
    if raw[0] == '"':
        return _double_quoted(path, line, key, raw)
    if raw[0] == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            raise SourceFormatError(
                path,
                f"the single-quoted value of {key} is not closed",
                line=line,
                hint="end it with ' (write '' for a quote inside)",
            )
        return inner.replace("''", "'")
    if raw.startswith(_PLAIN_FORBIDDEN_START) or ": " in raw or " #" in raw:
        raise SourceFormatError(
            path,
            f"the value of {key} needs quotes",
            line=line,
            hint='put it in double quotes, e.g. description: "..."',
        )
    return raw


def _double_quoted(path: Path, line: int, key: str, raw: str) -> str:
    chars: list[str] = []
    index = 1
    while index < len(raw):
        char = raw[index]
        if char == "\\":
            escaped = raw[index + 1 : index + 2]
            if escaped not in ('"', "\\"):
                raise SourceFormatError(
                    path,
                    f"unsupported escape in the value of {key}",
                    line=line,
                    hint='only \\" and \\\\ are allowed',
                )
            chars.append(escaped)
            index += 2
            continue
        if char == '"':
            if raw[index + 1 :].strip():
                raise SourceFormatError(
                    path,
                    f"text after the closing quote of {key}",
                    line=line,
                    hint='write \\" for a quote inside the value',
                )
            return "".join(chars)
        chars.append(char)
        index += 1
    raise SourceFormatError(
        path,
        f"the quoted value of {key} is not closed",
        line=line,
        hint='end the value with " on the same line',
    )


def _title_index(path: Path, lines: list[str], start: int) -> int:
    """Index of the `# Title` line: the first non-blank line after the front matter."""
    for index in range(start, len(lines)):
        if not lines[index].strip():
            continue
        if lines[index].startswith("# ") and lines[index][2:].strip():
            return index
        break
    else:
        index = len(lines) - 1
    raise SourceFormatError(
        path,
        "the page has no '# Title' heading after the front matter",
        line=index + 1,
        hint="put a line '# Title' right after the closing '---'",
    )


def _key_line(lines: list[str], key: str) -> int | None:
    for index, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            return index + 1
    return None
