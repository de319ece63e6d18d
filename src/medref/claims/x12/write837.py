"""Write claims as an ASC X12 5010 837P or 837I, laid out as the implementation guides
publish the loops (no copied sample file): the fixtures, the generated files for volume, and
the tests that read the same claims as CSV and as 837 and compare their findings.

The claims keep their order (consecutive claims of one patient share a subscriber loop), each
line its number (LX01), date (DTP*472), code, modifiers, units, place of service (SV105 when
it differs from CLM05-1) and diagnosis pointers (SV107). A claim's rendering NPI goes in
2310B when all its lines share one, else on each line (2420A); a line without one is the
billing provider's (2010AA, `BILLING_NPI`). A claim without a patient id gets a member id of
its own, so it is checked alone as in the CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medref.claims.model import Claim, ClaimLine
from medref.errors import InputError
from medref.x12.write import Group, Segment, Writer

BILLING_NPI = "1999999992"
"""The billing provider of written files: a made-up NPI whose check digit holds."""
VERSIONS = {"837P": "005010X222A1", "837I": "005010X223A2"}
CLAIMS_PER_TRANSACTION = 5_000
"""The guides' recommended ceiling of claims in one transaction set."""
REVENUE_CODE = "0510"
"""Revenue code of written institutional lines (clinic): the edits read the HCPCS code."""


@dataclass(frozen=True, slots=True)
class Options:
    guide: str = "837P"
    claims_per_transaction: int = CLAIMS_PER_TRANSACTION
    transactions_per_group: int = 10
    billing_npi: str = BILLING_NPI


def write_837(
    claims: Iterable[Claim],
    writer: Writer | None = None,
    options: Options = Options(),
    control: int = 1,
) -> str:
    """One interchange holding `claims` in the guide's loops."""
    chosen = writer or Writer()
    builder = Builder(chosen, options)
    bodies: list[tuple[str, Sequence[Segment]]] = []
    batch: list[Claim] = []
    for claim in claims:
        batch.append(claim)
        if len(batch) == options.claims_per_transaction:
            bodies.append(("837", builder.transaction(batch, len(bodies) + 1)))
            batch = []
    if batch or not bodies:
        bodies.append(("837", builder.transaction(batch, len(bodies) + 1)))
    step = options.transactions_per_group
    version = VERSIONS[options.guide]
    groups = [Group("HC", version, bodies[at : at + step]) for at in range(0, len(bodies), step)]
    return chosen.interchange(groups, control)


class Builder:
    def __init__(self, writer: Writer, options: Options) -> None:
        self.writer = writer
        self.options = options
        self.institutional = options.guide == "837I"
        delimiters = writer.delimiters
        self.reserved = {
            delimiters.element,
            delimiters.component,
            delimiters.segment,
            delimiters.repetition,
        } - {""}

    def value(self, text: str, what: str) -> str:
        if any(char in text for char in self.reserved):
            raise InputError(
                f"{what} {text!r} holds an X12 delimiter ({''.join(sorted(self.reserved))}): "
                "choose other delimiters"
            )
        return text

    def transaction(self, claims: list[Claim], number: int) -> list[Segment]:
        w = self.writer
        body: list[Segment] = [
            ["BHT", "0019", "00", f"MEDREF{number:06d}", "20240930", "1200", "CH"],
            ["NM1", "41", "2", "MEDREF TEST SUBMITTER", "", "", "", "", "46", "MEDREF"],
            ["PER", "IC", "TEST CONTACT", "TE", "5555550100"],
            ["NM1", "40", "2", "TEST RECEIVER", "", "", "", "", "46", "RECEIVER"],
            ["HL", "1", "", "20", "1"],
            [
                "NM1",
                "85",
                "2",
                "TEST BILLING PRACTICE",
                "",
                "",
                "",
                "",
                "XX",
                self.options.billing_npi,
            ],
            ["N3", "1 TEST WAY"],
            ["N4", "TESTVILLE", "MD", "21244"],
            ["REF", "EI", "000000000"],
        ]
        hl = 1
        previous: str | None = None
        for claim in claims:
            member = claim.patient_id or f"CLAIM-{claim.order or id(claim)}"
            if member != previous:
                hl += 1
                body += [
                    ["HL", str(hl), "1", "22", "0"],
                    [
                        "SBR",
                        "P",
                        "18",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "MA" if self.institutional else "MB",
                    ],
                    [
                        "NM1",
                        "IL",
                        "1",
                        "TEST",
                        "PATIENT",
                        "",
                        "",
                        "",
                        "MI",
                        self.value(member, "patient id"),
                    ],
                    ["N3", "2 TEST WAY"],
                    ["N4", "TESTVILLE", "MD", "21244"],
                    ["DMG", "D8", "19500101", "U"],
                    ["NM1", "PR", "2", "MEDICARE", "", "", "", "", "PI", "00000"],
                ]
                previous = member
            body += self.claim(claim, w)
        return body

    def claim(self, claim: Claim, w: Writer) -> list[Segment]:
        lines = claim.lines
        places = [line.place_of_service for line in lines]
        facility = max(set(places), key=places.count) if places else ""
        if self.institutional:
            facility = "13"
        qualifier = "A" if self.institutional else "B"
        charge = f"{100 * max(1, len(lines))}"
        out: list[Segment] = [
            [
                "CLM",
                self.value(claim.claim_id, "claim id"),
                charge,
                "",
                "",
                w.composite(facility, qualifier, "1"),
                "Y" if not self.institutional else "",
                "A",
                "Y",
                "Y",
            ]
        ]
        if self.institutional and lines:
            days = sorted(line.date_of_service for line in lines)
            out.append(["DTP", "434", "RD8", f"{days[0]:%Y%m%d}-{days[-1]:%Y%m%d}"])
            out.append(["CL1", "1", "1", "01"])
        if claim.diagnoses:
            codes = [code.replace(".", "") for code in claim.diagnoses]
            out.append(
                ["HI", w.composite("ABK", codes[0])]
                + [w.composite("ABF", code) for code in codes[1:12]]
            )
            if len(codes) > 12:
                out.append(["HI", *[w.composite("ABF", code) for code in codes[12:]]])
        npis = {line.rendering_npi for line in lines}
        shared = npis.pop() if len(npis) == 1 else ""
        if shared:
            out.append(self.rendering(shared))
        for line in lines:
            out += self.line(
                line, claim.claim_id, facility, "" if shared else line.rendering_npi, w
            )
        return out

    def rendering(self, npi: str) -> Segment:
        return ["NM1", "82", "1", "TEST", "RENDERING", "", "", "", "XX", npi]

    def line(
        self, line: ClaimLine, claim_id: str, facility: str, npi: str, w: Writer
    ) -> list[Segment]:
        procedure = w.composite("HC", line.code, *line.modifiers)
        if self.institutional:
            service = ["SV2", REVENUE_CODE, procedure, "100", "UN", str(line.units)]
        else:
            place = line.place_of_service if line.place_of_service != facility else ""
            pointers = w.composite(*map(str, line.diagnosis_pointers))
            service = ["SV1", procedure, "100", "UN", str(line.units), place, "", pointers]
        out = [
            ["LX", str(line.line)],
            service,
            ["DTP", "472", "D8", f"{line.date_of_service:%Y%m%d}"],
            ["REF", "6R", f"{claim_id}-{line.line}"[:50]],
        ]
        if npi:
            out.append(self.rendering(npi))
        return out
