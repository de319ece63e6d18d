"""Exception tree. Library code raises these; the CLI, API and MCP skins turn them into
user messages at one boundary.

    MedrefError
    ├── SettingsError          bad configuration
    ├── SourceError            a source could not be read
    │   ├── SourceMissingError     expected files are absent
    │   ├── SourceFormatError      a file is malformed (names file, line, what to do)
    │   └── SourceChangeError      a source shrank or vanished against the build in force
    ├── DownloadError          a download failed or did not match its manifest
    ├── KnowledgeBaseError     no knowledge base, or it is unreadable
    │   └── BuildLockedError       another build is running on the same home
    └── InputError             bad user input (a query, a code, a claim file)
        ├── InputTooLargeError     over a size limit (the API answers 413)
        └── NotFoundError          no such reference, page or route (the API answers 404)
"""

from __future__ import annotations

from pathlib import Path


class MedrefError(Exception):
    """Base class for every error medref raises on purpose."""


class SettingsError(MedrefError):
    pass


class SourceError(MedrefError):
    pass


class SourceMissingError(SourceError):
    pass


class SourceFormatError(SourceError):
    """A source file that does not parse. The message names the file, the line and a fix."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        line: int | None = None,
        hint: str = "check that the file is the official release and not truncated, "
        "then download it again",
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        self.hint = hint
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {problem}. What to do: {hint}.")


class SourceChangeError(SourceError):
    """Sources that would shrink or drop the knowledge base in force; the build stops unless
    the user accepts the changes (`medref build --accept-changes`)."""


class DownloadError(MedrefError):
    pass


class KnowledgeBaseError(MedrefError):
    pass


class BuildLockedError(KnowledgeBaseError):
    """Another build holds the home's build lock."""


class InputError(MedrefError):
    pass


class InputTooLargeError(InputError):
    """Input over a size limit (query length, claim lines); the API answers 413."""


class NotFoundError(InputError):
    """A reference, vault page or route that does not exist; the API answers 404."""
