"""Tools for LLM agents over the Model Context Protocol (stdio): search, ask, code_lookup,
claim_check, claim_check_x12, denials_explain and em_level, each a thin skin over `medref.services`, the functions the REST
API calls. Library errors come back as tool errors carrying the library's message.

Claim data can hold PHI: the tools log nothing about their arguments, and stdout carries
only the protocol.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from medref import __version__
from medref.claims.model import Setting
from medref.errors import MedrefError
from medref.services import claims as claim_service
from medref.services import codes as code_service
from medref.services import denials as denial_service
from medref.services import search as search_service
from medref.services import visits as visit_service
from medref.services.resources import Resources
from medref.settings import Settings

T = TypeVar("T")

INSTRUCTIONS = """medref answers Medicare billing and coding questions from the official
CMS/CDC sources loaded in its knowledge base. Every answer, hit and finding names its source
with a canonical reference (HCPCS:G0439, IOM:100-04/12/30.6.1, PTP:93000/93010, ...). Quote
references as given; say so when `ask` returns answerable=false rather than guessing. No CPT
descriptors are available (AMA copyright)."""


def _call(work: Callable[[], T]) -> T:
    """Run a service call, turning library errors into tool errors the agent can read."""
    try:
        return work()
    except MedrefError as exc:
        raise ToolError(str(exc)) from None


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ToolError(f"date_of_service must be YYYY-MM-DD, not {value!r}") from None


def create_server(
    settings: Settings | None = None,
    resources: Resources | None = None,
) -> MCPServer[Any]:
    """The MCP server; its tools share one `Resources` (indexes load on first use)."""
    res = resources or Resources(settings or Settings())
    server: MCPServer[Any] = MCPServer("medref", version=__version__, instructions=INSTRUCTIONS)

    @server.tool()
    def search(
        query: str, k: int = 8, sources: list[str] | None = None, date_of_service: str | None = None
    ) -> dict[str, Any]:
        """Search the CMS sources (IOM manuals, NCDs, HCPCS, ICD-10-CM, NCCI, fee schedule,
        statute, the vault). Returns hits with canonical references, titles and text.
        `sources` limits to source names such as iom, hcpcs, icd10cm, ncd, statute;
        `date_of_service` (YYYY-MM-DD) picks the releases in force on that date."""
        hits = _call(
            lambda: search_service.search(
                res.pinned(),
                query,
                max(1, min(k, 25)),
                sources,
                date_of_service=_date(date_of_service),
                with_text=True,
            )
        )
        return {"hits": hits}

    @server.tool()
    def ask(question: str, k: int = 8) -> dict[str, Any]:
        """Answer a Medicare billing question from the loaded sources, with citations that
        quote the source text exactly. `answerable` is false when the sources do not answer
        it; `closest` then lists the nearest sources."""
        return _call(lambda: search_service.ask(res.pinned(), question, max(1, min(k, 25))))

    @server.tool()
    def code_lookup(code: str, date_of_service: str | None = None) -> dict[str, Any]:
        """Explain a code: HCPCS Level II, CPT (structure only), ICD-10-CM, a modifier or a
        place of service. Gives validity on the date of service, the official record, fee
        schedule indicators, MUE limits, NCCI PTP and add-on edits, and texts citing it.
        A modifier may follow the code: 99213-25."""
        return _call(lambda: code_service.code_card(res.pinned(), code, _date(date_of_service)))

    @server.tool()
    def claim_check(
        claims: list[Any], setting: Setting = "practitioner", only_problems: bool = False
    ) -> dict[str, Any]:
        """Check claims against the NCCI PTP, MUE and add-on edits, PFS indicators, HCPCS,
        ICD-10-CM and place-of-service tables for each line's date of service. `claims` is a
        list of {claim_id, setting?, diagnoses: [ICD-10-CM], lines: [{line, date_of_service,
        code, modifiers: [..], units, place_of_service, diagnosis_pointers?}]}. Returns
        findings (pass, fail, bypassed, warning, no_data, error with a reference) and a summary naming
        the data releases used."""
        return _call(
            lambda: claim_service.check_claim_list(res.pinned(), claims, setting, only_problems)
        )

    @server.tool()
    def claim_check_x12(
        x12: str, setting: Setting = "practitioner", only_problems: bool = False
    ) -> dict[str, Any]:
        """Check the claims of an X12 5010 837P or 837I (the interchange's text, ISA to IEA)
        with the same rules as claim_check. Each finding carries its `place` in the file
        (ISA/GS/ST control numbers, CLM01, LX, segment positions); the summary's `x12` counts
        what was read and names envelope and loop problems by segment."""
        return _call(
            lambda: claim_service.check_x12(
                res.pinned(), io.BytesIO(x12.encode()), setting, only_problems
            )
        )

    @server.tool()
    def denials_explain(
        remittance: str, claims: str | None = None, setting: Setting = "practitioner"
    ) -> dict[str, Any]:
        """Explain an X12 5010 835 remittance (its text): for each adjusted service line the
        group code, CARC and RARCs in plain words, whether a medref claim rule reproduces the
        denial (verdict reproduced / not_reproduced / review / no_data / not_checked) with
        the rule, the canonical reference (PTP:..., MUE:..., ICD10CM:..., NCD:...) and the
        fix. `claims`: the claims as sent (837, CSV or JSON text), for the diagnoses."""
        return _call(
            lambda: denial_service.denials_upload(
                res.pinned(),
                io.BytesIO(remittance.encode()),
                io.BytesIO(claims.encode()) if claims else None,
                setting,
            )
        )

    @server.tool()
    def em_level(
        patient: str | None = None,
        problems: str | None = None,
        data: str | None = None,
        risk: str | None = None,
        minutes: int | None = None,
        date_of_service: str | None = None,
        family: str | None = None,
        medicare: bool = True,
    ) -> dict[str, Any]:
        """Level an E/M visit (2021+ rules) by medical decision making, 2 of 3 elements:
        problems (minimal/low/moderate/high), data (minimal/limited/moderate/extensive), risk
        (minimal/low/moderate/high); or by total minutes; or both (the higher code wins).
        family: office (default) or home with patient new/established, or hospital-initial,
        hospital-subsequent, consult-office, consult-inpatient, ed, nursing-initial,
        nursing-subsequent. date_of_service (YYYY-MM-DD, default today) picks the year's rules.
        Prolonged time adds G2212 (medicare) or 99417."""
        return _call(
            lambda: visit_service.em_level(
                patient,
                problems,
                data,
                risk,
                minutes,
                family=family,
                medicare=medicare,
                date_of_service=_date(date_of_service),
            )
        )

    return server


def run_stdio(settings: Settings | None = None) -> None:
    """Serve the tools on stdin/stdout until the client closes the stream."""
    create_server(settings).run("stdio")
