"""The claim rules as one relational plan: SQL views over columnar tables, run unchanged by
DuckDB and Spark SQL (`dialect.py` spells their few differences).

Inputs (registered by the engine):
- `lines`: one row per claim line of the batch and of the history file: `lid` (unique),
  `claim_key` (unique per claim), `claim_id`, `history`, `claim_order`, `setting`, `scope`
  (the patient id, or the claim's own key when it has none: the lines a claim is checked
  against), `across` (checked with its patient), `seq` (the order the streaming engine
  walks a scope: history first, claims in file order, lines in claim order), `line`, `dos`
  (days since 1970-01-01) and `dos_text`, `code`, `mods` (`RT|59`), `units`, `pos`, `npi`;
- `line_mods` (`lid`, `slot`, `modifier`) and `claim_dx` (`claim_key`, `claim_id`,
  `position`, `code`);
- the edit tables of `edit_parquet.py` and the value facts of `facts.py`, plus `outside`
  (per source, the words of `Versioned.outside` around a date).

Each rule is one SELECT whose rows are findings (`lid`, `claim_key`, `claim_id`, `line`,
`rule`, `status`, `message`, `ref`, `vintage`); the message text follows the streaming rule
module of the same name word for word, and the differential tests hold them to it. Rules
that deny a line feed `denied`, which `add_on` reads, as the streaming engine's
`RuleContext.deny` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from medref.claims.columnar.dialect import Dialect
from medref.claims.columnar.edit_parquet import epoch_day
from medref.claims.rules import (
    add_on,
    assistant,
    bilateral,
    complexity_add_on,
    duplicate,
    global_surgery,
    mue,
    place_of_service,
    ptp,
)
from medref.claims.rules.modifiers import NOT_PFS, REVIEW
from medref.codes import modifier_groups as groups
from medref.codes.ncci import CONTRACTOR_DEFINED_PRIMARY
from medref.codes.service_kinds import COMPLEXITY_SECTION, PREVENTIVE_WITH_25_FROM

RULES = (
    "code_validity",
    "pfs_status",
    "ptp",
    "mue",
    "duplicate",
    "bilateral",
    "assistant",
    "add_on",
    "complexity_add_on",
    "modifiers",
    "place_of_service",
    "global_surgery",
)
"""The rules the plan carries, in the streaming registry's order (`price` runs apart: it is
Decimal arithmetic per provider and day, `medref.pricing`)."""
FINDING_COLUMNS = "lid, claim_key, claim_id, line, rule, status, message, ref, vintage"
EXCEPTION_FROM_DAY = epoch_day(date.fromisoformat(PREVENTIVE_WITH_25_FROM))
"""The CY 2025 G2211 exception's first day, as days since 1970-01-01."""


def in_list(values: Iterable[str], d: Dialect) -> str:
    return "(" + ", ".join(d.lit(v) for v in sorted(values)) + ")"


def views(d: Dialect) -> list[tuple[str, str]]:
    """The plan as named views, each over the ones before; the last is `findings`."""
    L = d.lit
    T = d.text

    def where(o: str, line: str) -> str:
        """`ScopeLike.where(o)` seen from the claim of `line`."""
        return (
            f"CASE WHEN {o}.claim_key = {line}.claim_key THEN 'line ' || {T(o + '.line')} "
            f"ELSE CASE WHEN {o}.history THEN 'history claim ' ELSE 'claim ' END || "
            f"{o}.claim_id || ' line ' || {T(o + '.line')} END"
        )

    def units(n: str) -> str:
        return f"{T(n)} || ' unit' || CASE WHEN {n} = 1 THEN '' ELSE 's' END"

    def outside(alias: str, day_text: str) -> str:
        return f"coalesce({alias}.fixed, {alias}.pre || {day_text} || {alias}.post)"

    def finding(
        rule: str, status: str, message: str, ref: str, vintage: str, lid: str = "l.lid"
    ) -> str:
        line = "l.line" if lid == "l.lid" else "CAST(NULL AS INT)"
        return (
            f"SELECT {lid} AS lid, l.claim_key, l.claim_id, {line} AS line, {L(rule)} AS rule, "
            f"{status} AS status, {message} AS message, {ref} AS ref, {vintage} AS vintage"
        )

    anatomic = in_list(groups.ANATOMIC, d)
    sides = in_list(groups.SIDES, d)
    assisting = in_list(groups.ASSISTANT_AT_SURGERY, d)
    surgeons = in_list(groups.CO_OR_TEAM_SURGERY, d)
    new_period = in_list(groups.POSTOPERATIVE_PROCEDURE_MODIFIERS, d)
    out: list[tuple[str, str]] = []

    def view(name: str, sql: str) -> None:
        out.append((name, sql))

    # -- shared --------------------------------------------------------------------------
    view("checked", "SELECT * FROM lines WHERE NOT history")
    view(
        "rel",
        """
        SELECT dos, source, release, vintage FROM (
          SELECT d.dos, r.source, r.release, r.vintage,
                 row_number() OVER (PARTITION BY d.dos, r.source ORDER BY r.position DESC) AS pick
          FROM (SELECT DISTINCT dos FROM lines) d
          JOIN releases r ON (r.effective IS NULL OR d.dos >= r.effective)
                         AND (r.until IS NULL OR d.dos <= r.until)
        ) t WHERE pick = 1
        """,
    )
    view(
        "newest",
        "SELECT source, release, vintage, span FROM (SELECT r.*, row_number() OVER "
        "(PARTITION BY source ORDER BY position DESC) AS pick FROM releases r) t WHERE pick = 1",
    )
    view(
        "mods_of",
        f"""
        SELECT m.mods,
          max(CASE WHEN m.modifier = '50' THEN 1 ELSE 0 END) AS has50,
          max(CASE WHEN m.modifier = '25' THEN 1 ELSE 0 END) AS has25,
          max(CASE WHEN m.modifier = '57' THEN 1 ELSE 0 END) AS has57,
          max(CASE WHEN m.modifier = '24' THEN 1 ELSE 0 END) AS has24,
          max(CASE WHEN m.modifier = 'FT' THEN 1 ELSE 0 END) AS hasft,
          max(CASE WHEN m.modifier = {L(groups.RETURN_TO_OPERATING_ROOM)} THEN 1 ELSE 0 END) AS has78,
          max(CASE WHEN m.modifier IN ('GY', 'GA', 'GZ', 'GX') THEN 1 ELSE 0 END) AS expects_denial,
          {d.ordered_join("CASE WHEN m.modifier IN " + sides + " THEN m.modifier END", "/", "m.modifier")} AS sides,
          {d.ordered_join("CASE WHEN m.modifier IN " + anatomic + " THEN m.modifier END", "/", "m.modifier")} AS sites,
          {d.ordered_join("CASE WHEN m.modifier IN " + assisting + " THEN m.modifier END", "/", "m.modifier")} AS assisting,
          {d.ordered_join("CASE WHEN m.modifier IN " + surgeons + " THEN m.modifier END", "/", "m.modifier")} AS surgeons,
          min_by(CASE WHEN m.modifier IN {new_period} THEN m.modifier END,
                 CASE WHEN m.modifier IN {new_period} THEN m.slot ELSE 99 END) AS new_period,
          {d.ordered_join("m.modifier", "|", "m.modifier")} AS modset
        FROM (SELECT mods, modifier, min(slot) AS slot FROM (
                SELECT DISTINCT l.mods, m.slot, m.modifier
                FROM line_mods m JOIN lines l ON l.lid = m.lid) x
              GROUP BY mods, modifier) m
        GROUP BY m.mods
        """,
    )
    view(
        "ln",
        """
        SELECT l.*, cf.form_status, cf.is_em, cf.kind, cf.is_hospital_visit, cf.is_discharge, cf.is_critical,
               cf.is_office_visit, cf.is_companion, cf.is_complexity, cf.is_category_2,
               cf.replaced_by, coalesce(mo.has50, 0) AS has50, coalesce(mo.has25, 0) AS has25,
               coalesce(mo.has57, 0) AS has57, coalesce(mo.has24, 0) AS has24,
               coalesce(mo.hasft, 0) AS hasft, coalesce(mo.expects_denial, 0) AS expects_denial,
               coalesce(mo.has78, 0) AS has78,
               mo.sides, mo.sites, mo.assisting, mo.surgeons, mo.new_period,
               coalesce(mo.modset, '') AS modset
        FROM lines l JOIN code_facts cf ON cf.code = l.code LEFT JOIN mods_of mo ON mo.mods = l.mods
        """,
    )
    view("own", "SELECT * FROM ln WHERE NOT history")
    view(
        "pfs_on",
        """
        SELECT l.lid, r.release, r.vintage, p.status, p.global_days, p.pctc, p.mult_proc,
               p.bilat_surg, p.asst_surg, p.co_surg, p.team_surg
        FROM lines l JOIN rel r ON r.dos = l.dos AND r.source = 'pfs'
        LEFT JOIN pfs p ON p.release = r.release AND p.key = l.code
        """,
    )

    # -- code_validity ---------------------------------------------------------------------
    def listed_on(table: str, source: str, code: str, what: str, day: str) -> tuple[str, str]:
        """`rules.base.listed_on` as columns (status, message, vintage) of a lateral row;
        the FROM part joins `cur` (release in force), `nw` (newest), `hit` (the code's row)."""
        v = "coalesce(cur.vintage, nw.vintage)"
        since = (
            "CASE WHEN hit.effective_text IS NOT NULL THEN 'effective ' || hit.effective_text "
            "ELSE 'no effective date' END || CASE WHEN hit.terminated_text IS NOT NULL THEN "
            "', terminated ' || hit.terminated_text ELSE '' END"
        )
        in_force = (
            f"(hit.effective IS NULL OR {day} >= hit.effective) AND "
            f"(hit.terminated IS NULL OR {day} <= hit.terminated)"
        )
        status = (
            f"CASE WHEN nw.release IS NULL THEN 'no_data' "
            f"WHEN hit.code IS NOT NULL AND {in_force} THEN 'pass' "
            f"WHEN hit.code IS NULL AND cur.release IS NULL THEN 'no_data' ELSE 'fail' END"
        )
        message = (
            f"CASE WHEN nw.release IS NULL THEN {outside('os', 'x.dos_text')} "
            f"WHEN hit.code IS NOT NULL AND {in_force} THEN "
            f"{L(what + ' ')} || {code} || ' is in force on the date of service (' || {since} || ')' "
            f"WHEN hit.code IS NULL AND cur.release IS NOT NULL THEN "
            f"{L(what + ' ')} || {code} || ' is not in ' || {v} "
            f"WHEN hit.code IS NULL THEN {L(what + ' ')} || {code} || ' is not in ' || {v} || "
            f"' (' || nw.span || '); a code that ended before that release is not listed in "
            f"it, so its validity on ' || x.dos_text || ' cannot be checked' "
            f"WHEN hit.effective IS NOT NULL AND {day} < hit.effective THEN "
            f"{L(what + ' ')} || {code} || ' takes effect ' || hit.effective_text || ', after ' || x.dos_text "
            f"ELSE {L(what + ' ')} || {code} || ' was terminated ' || hit.terminated_text || "
            f"', before ' || x.dos_text END"
        )
        vintage = f"CASE WHEN nw.release IS NULL THEN os.label ELSE {v} END"
        joins = (
            f"LEFT JOIN rel cur ON cur.dos = x.dos AND cur.source = {L(source)} "
            f"LEFT JOIN newest nw ON nw.source = {L(source)} "
            f"LEFT JOIN {table} hit ON hit.release = coalesce(cur.release, nw.release) "
            f"AND hit.code = {code} "
            f"JOIN outside os ON os.source = {L(source)}"
        )
        return f"{status} AS status, {message} AS message, {vintage} AS vintage", joins

    cols, joins = listed_on("hcpcs", "hcpcs", "x.code", "HCPCS code", "x.dos")
    view(
        "hcpcs_verdict",
        f"SELECT x.lid, {cols} FROM (SELECT DISTINCT lid, dos, dos_text, code FROM own "
        f"WHERE form_status IS NULL) x {joins}",
    )
    view(
        "r_code_lines",
        f"""
        {
            finding(
                "code_validity",
                "coalesce(cf.form_status, h.status)",
                "coalesce(cf.form_message, h.message)",
                "coalesce(cf.form_ref, 'HCPCS:' || l.code)",
                "coalesce(cf.form_vintage, h.vintage)",
            )
        },
               TRUE AS deny, 0 AS sub
        FROM own l JOIN code_facts cf ON cf.code = l.code LEFT JOIN hcpcs_verdict h ON h.lid = l.lid
        """,
    )
    view(
        "claim_days",
        """
        SELECT c.claim_key, c.dos, c.dos_text, r.release, r.vintage
        FROM (SELECT DISTINCT claim_key, dos, dos_text FROM checked) c
        LEFT JOIN rel r ON r.dos = c.dos AND r.source = 'icd10cm'
        """,
    )
    view(
        "dx_release",
        """
        SELECT claim_key, release, vintage, min_by(dos_text, dos) AS day FROM claim_days
        WHERE release IS NOT NULL GROUP BY claim_key, release, vintage
        """,
    )
    view(
        "dx_uncovered",
        "SELECT claim_key, min_by(dos_text, dos) AS day FROM claim_days WHERE release IS NULL "
        "GROUP BY claim_key",
    )
    view(
        "dx_codes",
        """
        SELECT x.code, r.release, i.billable,
               CASE WHEN x.code LIKE '%.%' THEN x.code ELSE x.code || '.' END AS prefix
        FROM (SELECT DISTINCT x.code, r.release FROM claim_dx x
              JOIN dx_release r ON r.claim_key = x.claim_key) x
        JOIN (SELECT DISTINCT release FROM dx_release) r ON r.release = x.release
        LEFT JOIN icd i ON i.release = x.release AND i.code = x.code
        """,
    )
    view(
        "dx_children",
        f"""
        SELECT release, code, {d.ordered_join("CASE WHEN n <= 5 THEN child END", ", ", "n")} AS shown,
               max(n) AS children
        FROM (
          SELECT h.release, h.code, i.code AS child,
                 row_number() OVER (PARTITION BY h.release, h.code ORDER BY i.code) AS n
          FROM dx_codes h
          JOIN icd i ON i.release = h.release AND i.billable
            AND substr(i.code, 1, 3) = substr(h.prefix, 1, 3)
            AND substr(i.code, 1, length(h.prefix)) = h.prefix
          WHERE NOT h.billable
        ) t WHERE n <= 6 GROUP BY release, code
        """,
    )
    dx_message = (
        "CASE WHEN f.problem IS NOT NULL THEN x.code || ' is not an ICD-10-CM code: ' || f.problem "
        "WHEN c.billable IS NULL THEN x.code || ' is not a code of ' || r.vintage || ', in force on ' || r.day "
        "WHEN c.billable THEN x.code || ' is a billable code of ' || r.vintage "
        "ELSE x.code || ' is a header in ' || r.vintage || ', not billable: code to a billable child "
        "such as ' || coalesce(k.shown, '') || CASE WHEN k.children > 5 THEN ', ...' ELSE '' END END"
    )
    dx_status = "CASE WHEN f.problem IS NULL AND c.billable THEN 'pass' ELSE 'fail' END"
    view(
        "r_code_dx",
        f"""
        SELECT CAST(NULL AS BIGINT) AS lid, x.claim_key, x.claim_id, CAST(NULL AS INT) AS line,
               'code_validity' AS rule, {dx_status} AS status, {dx_message} AS message,
               'ICD10CM:' || x.code AS ref, r.vintage, FALSE AS deny, 0 AS sub
        FROM claim_dx x JOIN dx_release r ON r.claim_key = x.claim_key
        JOIN diagnosis_facts f ON f.code = x.code
        JOIN dx_codes c ON c.code = x.code AND c.release = r.release
        LEFT JOIN dx_children k ON k.code = x.code AND k.release = r.release
        UNION ALL
        SELECT CAST(NULL AS BIGINT) AS lid, x.claim_key, x.claim_id, CAST(NULL AS INT) AS line,
               'code_validity' AS rule, 'no_data' AS status, {outside("os", "u.day")} AS message,
               'ICD10CM:' || x.code AS ref, os.label AS vintage, FALSE AS deny, 0 AS sub
        FROM claim_dx x JOIN dx_uncovered u ON u.claim_key = x.claim_key
        JOIN outside os ON os.source = 'icd10cm'
        """,
    )
    # -- pfs_status ------------------------------------------------------------------------
    view(
        "pfs_key",
        """
        SELECT l.lid, min_by(l.code || '-' || m.modifier, m.slot) AS key
        FROM own l JOIN line_mods m ON m.lid = l.lid AND m.modifier IN ('26', 'TC', '53')
        JOIN rel r ON r.dos = l.dos AND r.source = 'pfs'
        JOIN pfs p ON p.release = r.release AND p.key = l.code || '-' || m.modifier
        GROUP BY l.lid
        """,
    )
    view(
        "t_others",
        """
        SELECT DISTINCT l.lid FROM own l
        JOIN rel r ON r.dos = l.dos AND r.source = 'pfs'
        JOIN ln o ON o.scope = l.scope AND o.dos = l.dos AND o.npi = l.npi AND o.lid <> l.lid
        JOIN pfs p ON p.release = r.release AND p.key = o.code AND p.status IN ('A', 'R', 'C')
        WHERE l.setting = 'practitioner'
        """,
    )
    status_message = (
        "CASE WHEN r.release IS NULL THEN 'PFS status unknown: ' || "
        + outside("os", "l.dos_text")
        + " WHEN p.key IS NULL THEN l.code || ' is not in ' || r.vintage || ': its PFS status is "
        "unknown (codes paid under other fee schedules, such as drugs, are not all listed)' "
        "WHEN p.status = 'T' AND t.lid IS NOT NULL THEN l.code || ' has PFS status T: paid only "
        "when the provider bills no other PFS service on the date; another payable service is "
        "billed, so it is bundled' "
        "WHEN l.is_category_2 THEN l.code || ' is a CPT Category II performance measurement code "
        "(PFS status ' || p.status || '): reported for quality programs, not paid' "
        "WHEN sf.status IS NULL THEN p.key || ' has PFS status ' || p.status || ', which medref "
        "does not know' "
        "ELSE p.key || ' has PFS status ' || p.status || ': ' || sf.words || "
        "CASE WHEN sf.invalid AND l.replaced_by IS NOT NULL THEN l.replaced_by ELSE '' END || "
        "CASE WHEN sf.verdict = 'fail' AND l.expects_denial = 1 THEN '; the line carries a "
        "liability or exclusion modifier (GA, GX, GY, GZ), so the denial is expected' ELSE '' END "
        "END"
    )
    status_status = (
        "CASE WHEN r.release IS NULL OR p.key IS NULL THEN 'no_data' "
        "WHEN p.status = 'T' AND t.lid IS NOT NULL THEN 'fail' "
        "WHEN l.is_category_2 THEN 'pass' WHEN sf.status IS NULL THEN 'no_data' "
        "ELSE sf.verdict END"
    )
    view(
        "r_pfs_status",
        f"""
        {
            finding(
                "pfs_status",
                status_status,
                status_message,
                "CASE WHEN r.release IS NULL OR p.key IS NULL THEN 'PFS:' || l.code ELSE 'PFS:' || p.key END",
                "CASE WHEN r.release IS NULL THEN os.label ELSE r.vintage END",
            )
        },
               TRUE AS deny, 0 AS sub
        FROM own l JOIN outside os ON os.source = 'pfs'
        LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'pfs'
        LEFT JOIN pfs_key k ON k.lid = l.lid
        LEFT JOIN pfs p ON p.release = r.release AND p.key = coalesce(k.key, l.code)
        LEFT JOIN t_others t ON t.lid = l.lid
        LEFT JOIN status_facts sf ON sf.status = p.status
        WHERE l.setting = 'practitioner'
        """,
    )

    # -- ptp ---------------------------------------------------------------------------------
    in_force = "(p.effective IS NULL OR s.dos >= p.effective) AND (p.deleted IS NULL OR s.dos <= p.deleted)"
    view(
        "ptp_candidates",
        """
        SELECT s.lid AS s_lid, f.lid AS f_lid, s.setting, r.release, r.vintage,
               f.code AS column1, s.code AS column2
        FROM own s
        JOIN rel r ON r.dos = s.dos AND r.source = 'ncci-ptp-' || s.setting
        JOIN ln f ON f.scope = s.scope AND f.dos = s.dos AND f.npi = s.npi AND f.code <> s.code
        WHERE s.setting <> 'dme'
        """,
    )
    view(
        "ptp_hit",
        """
        SELECT p.* FROM ptp p
        JOIN (SELECT DISTINCT setting, release, column1, column2 FROM ptp_candidates) k
          ON p.setting = k.setting AND p.release = k.release
         AND p.column1 = k.column1 AND p.column2 = k.column2
        """,
    )
    view(
        "ptp_pairs",
        f"""
        SELECT s.lid AS s_lid, q.f_lid, q.vintage,
               min(CASE WHEN {in_force} THEN p.indicator END) AS indicator,
               max_by(p.deleted_text, CASE WHEN {in_force} THEN -1 ELSE coalesce(p.deleted, 0) END)
                 AS deleted_text,
               max(CASE WHEN {in_force} THEN -1 ELSE coalesce(p.deleted, 0) END) AS last_deleted
        FROM ptp_candidates q JOIN own s ON s.lid = q.s_lid
        JOIN ptp_hit p ON p.setting = q.setting AND p.release = q.release
                      AND p.column1 = q.column1 AND p.column2 = q.column2
        GROUP BY s.lid, q.f_lid, q.vintage
        """,
    )
    view(
        "pair_mods",
        """
        SELECT q.s_lid, q.f_lid, m.slot + q.offset AS rank, m.modifier, mf.ptp_note,
               m.lid AS on_lid
        FROM (SELECT s_lid, f_lid, s_lid AS on_lid, 0 AS offset FROM ptp_pairs WHERE indicator = 1
              UNION ALL
              SELECT s_lid, f_lid, f_lid AS on_lid, 4 AS offset FROM ptp_pairs WHERE indicator = 1) q
        JOIN line_mods m ON m.lid = q.on_lid
        JOIN lines l ON l.lid = m.lid
        JOIN modifier_facts mf ON mf.modifier = m.modifier AND mf.code = l.code
                              AND mf.setting = l.setting AND mf.bypasses
        """,
    )
    view(
        "pair_bypass",
        f"""
        SELECT s_lid, f_lid,
               min_by(modifier, CASE WHEN ptp_note IS NULL THEN rank ELSE 99 END) AS modifier,
               min_by(on_lid, CASE WHEN ptp_note IS NULL THEN rank ELSE 99 END) AS on_lid,
               min(CASE WHEN ptp_note IS NULL THEN rank END) AS winner,
               {d.ordered_join("ptp_note", "; ", "rank")} AS notes
        FROM pair_mods GROUP BY s_lid, f_lid
        """,
    )
    view(
        "pair_sites",
        f"""
        SELECT q.s_lid, q.f_lid, {d.ordered_join("a.modifier", ", ", "a.modifier")} AS shared
        FROM ptp_pairs q
        JOIN (SELECT DISTINCT lid, modifier FROM line_mods WHERE modifier IN {anatomic}) a
          ON a.lid = q.s_lid
        JOIN (SELECT DISTINCT lid, modifier FROM line_mods WHERE modifier IN {anatomic}) b
          ON b.lid = q.f_lid AND b.modifier = a.modifier
        WHERE q.indicator = 1
        GROUP BY q.s_lid, q.f_lid
        """,
    )
    where_f = where("f", "s")
    sites_found = (
        "CASE WHEN (f.is_em AND f.sites IS NOT NULL) OR (s.is_em AND s.sites IS NOT NULL) "
        "OR f.sites IS NULL OR s.sites IS NULL OR ps.shared IS NOT NULL THEN NULL "
        f"ELSE 'anatomic modifiers ' || s.sites || ' on line ' || {T('s.line')} || ' and ' || "
        f"f.sites || ' on ' || {where_f} || ' (different sites)' END"
    )
    sites_note = (
        "CASE WHEN f.sites IS NULL AND s.sites IS NULL THEN NULL "
        "WHEN f.is_em AND f.sites IS NOT NULL THEN 'an anatomic modifier on E/M code ' || f.code || ' names no site' "
        "WHEN s.is_em AND s.sites IS NOT NULL THEN 'an anatomic modifier on E/M code ' || s.code || ' names no site' "
        "WHEN f.sites IS NOT NULL AND s.sites IS NOT NULL AND ps.shared IS NOT NULL THEN "
        "'both lines carry ' || ps.shared || ': the same anatomic modifier does not bypass' "
        "WHEN f.sites IS NOT NULL AND s.sites IS NOT NULL THEN NULL "
        f"WHEN f.sites IS NOT NULL THEN f.sites || ' on ' || {where_f} || ' alone does not show "
        f"different sites: ' || s.code || ' on line ' || {T('s.line')} || ' names none' "
        f"ELSE s.sites || ' on line ' || {T('s.line')} || ' alone does not show different "
        f"sites: ' || f.code || ' on ' || {where_f} || ' names none' END"
    )
    text = (
        f"'PTP:' || f.code || '/' || s.code || ': column 2 code ' || s.code || ' (line ' || "
        f"{T('s.line')} || ') with column 1 code ' || f.code || ' (' || {where_f} || ') on ' || "
        "s.dos_text"
    )
    bypass_by = (
        "CASE WHEN b.winner IS NOT NULL THEN 'modifier ' || b.modifier || ' on ' || "
        f"CASE WHEN b.on_lid = s.lid THEN 'line ' || {T('s.line')} ELSE {where_f} END "
        f"ELSE {sites_found} END"
    )
    all_notes = (
        f"CASE WHEN b.notes IS NULL AND ({sites_note}) IS NULL THEN '' ELSE ' (' || "
        f"concat_ws('; ', b.notes, {sites_note}) || ')' END"
    )
    ptp_status = (
        "CASE WHEN q.indicator IS NULL OR q.indicator = 9 THEN 'pass' "
        "WHEN q.indicator = 0 THEN 'fail' "
        f"WHEN ({bypass_by}) IS NOT NULL THEN 'bypassed' ELSE 'fail' END"
    )
    ptp_message = (
        f"{text} || CASE WHEN q.indicator IS NULL THEN ': the edit was ' || "
        "CASE WHEN q.last_deleted > 0 THEN 'deleted ' || q.deleted_text ELSE 'not yet effective' END "
        "|| ', so it does not apply' "
        "WHEN q.indicator = 9 THEN ': modifier indicator 9, the edit does not apply' "
        "WHEN q.indicator = 0 THEN ': modifier indicator 0, no modifier bypasses this edit; the "
        "column 2 code is not payable with the column 1 code' "
        f"WHEN ({bypass_by}) IS NOT NULL THEN ': modifier indicator 1, bypassed by ' || "
        f"({bypass_by}) || '; the record must show the services were distinct' "
        "ELSE ': modifier indicator 1 and no NCCI PTP-associated modifier appropriately "
        f"appended' || {all_notes} || '; append one (59, XE, XP, XS, XU on a non-E/M code, "
        "anatomic modifiers naming different sites on both lines, 25/57/24 on the E/M, 58/78/79 "
        "on the procedure, 91 on a repeated lab test) only when the services were distinct' END"
    )
    view(
        "r_ptp",
        f"""
        SELECT s.lid, s.claim_key, s.claim_id, s.line, 'ptp' AS rule, {ptp_status} AS status,
               {ptp_message} AS message, 'PTP:' || f.code || '/' || s.code AS ref,
               q.vintage, TRUE AS deny, f.seq AS sub
        FROM ptp_pairs q JOIN ln s ON s.lid = q.s_lid JOIN ln f ON f.lid = q.f_lid
        LEFT JOIN pair_bypass b ON b.s_lid = q.s_lid AND b.f_lid = q.f_lid
        LEFT JOIN pair_sites ps ON ps.s_lid = q.s_lid AND ps.f_lid = q.f_lid
        UNION ALL
        {finding("ptp", "'no_data'", L(ptp.NO_DME_TABLE), L(ptp.TABLES_SECTION), L(ptp.NO_TABLE_VINTAGE))},
               FALSE AS deny, 0 AS sub
        FROM own l WHERE l.setting = 'dme'
        UNION ALL
        {finding("ptp", "'no_data'", outside("os", "l.dos_text"), L(ptp.SECTION), "os.label")},
               FALSE AS deny, 0 AS sub
        FROM own l JOIN outside os ON os.source = 'ncci-ptp-' || l.setting
        LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'ncci-ptp-' || l.setting
        WHERE l.setting <> 'dme' AND r.release IS NULL
        UNION ALL
        {finding("ptp", "'pass'", "'no PTP edit in force makes ' || l.code || ' a column 2 code of another code on its date of service'", L(ptp.SECTION), "r.vintage")},
               FALSE AS deny, 0 AS sub
        FROM own l JOIN rel r ON r.dos = l.dos AND r.source = 'ncci-ptp-' || l.setting
        LEFT JOIN (SELECT DISTINCT s_lid FROM ptp_pairs) j ON j.s_lid = l.lid
        WHERE l.setting <> 'dme' AND j.s_lid IS NULL
        """,
    )

    # -- mue ---------------------------------------------------------------------------------
    view(
        "day_codes",
        "SELECT scope, dos, code, npi, sum(units) AS total, count(*) AS n FROM lines "
        "GROUP BY scope, dos, code, npi",
    )
    view(
        "day_codes_any",
        "SELECT scope, dos, code, count(*) AS n FROM lines GROUP BY scope, dos, code",
    )
    view(
        "mue_lines",
        """
        SELECT l.lid, r.vintage, u.units AS limit_units, u.mai,
               CASE WHEN u.mai = 1 THEN l.units ELSE t.total END AS total
        FROM own l JOIN rel r ON r.dos = l.dos AND r.source = 'ncci-mue-' || l.setting
        JOIN day_codes t ON t.scope = l.scope AND t.dos = l.dos AND t.code = l.code AND t.npi = l.npi
        LEFT JOIN mue u ON u.setting = l.setting AND u.release = r.release AND u.code = l.code
        """,
    )
    view(
        "mue_groups",
        f"""
        SELECT l.lid, count(*) AS n,
               {d.ordered_join(T("o.units") + " || ' (' || " + where("o", "l") + " || ')'", " + ", "o.seq")} AS counted
        FROM own l JOIN mue_lines m ON m.lid = l.lid AND m.mai <> 1 AND m.total > m.limit_units
        JOIN lines o ON o.scope = l.scope AND o.dos = l.dos AND o.code = l.code AND o.npi = l.npi
        GROUP BY l.lid
        """,
    )
    mue_message = (
        "CASE WHEN m.limit_units IS NULL THEN 'no MUE for ' || l.code || ' in the ' || l.setting || ' table' "
        f"WHEN m.total <= m.limit_units THEN {units('m.total')} || ' within the MUE of ' || "
        f"{units('m.limit_units')} || CASE WHEN m.mai = 1 THEN ' per line' ELSE ' per date of service' END "
        f"WHEN m.mai = 1 THEN {units('l.units')} || ' of ' || l.code || ' on line ' || {T('l.line')} || "
        f"' exceed the MUE of ' || {units('m.limit_units')} || ' per line (MAI 1: ' || mf.meaning || ')' "
        f"ELSE CASE WHEN g.n > 1 THEN g.counted || ' = ' || {T('m.total')} ELSE {T('m.total')} END || "
        f"' units of ' || l.code || ' on ' || l.dos_text || ' exceed the MUE of ' || "
        f"{units('m.limit_units')} || ' per date of service (MAI ' || {T('m.mai')} || ': ' || "
        "mf.meaning || ')' END"
    )
    view(
        "r_mue",
        f"""
        {
            finding(
                "mue",
                "CASE WHEN m.limit_units IS NULL OR m.total <= m.limit_units THEN 'pass' ELSE 'fail' END",
                mue_message,
                f"CASE WHEN m.limit_units IS NULL THEN {L(mue.SECTION)} ELSE 'MUE:' || l.code END",
                "m.vintage",
            )
        },
               TRUE AS deny, 0 AS sub
        FROM own l JOIN mue_lines m ON m.lid = l.lid
        LEFT JOIN mai_facts mf ON mf.mai = m.mai
        LEFT JOIN mue_groups g ON g.lid = l.lid
        UNION ALL
        {finding("mue", "'no_data'", outside("os", "l.dos_text"), L(mue.SECTION), "os.label")},
               FALSE AS deny, 0 AS sub
        FROM own l JOIN outside os ON os.source = 'ncci-mue-' || l.setting
        LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'ncci-mue-' || l.setting
        WHERE r.release IS NULL
        """,
    )

    # -- duplicate ---------------------------------------------------------------------------
    order_key = "(CASE WHEN {a}.history THEN 0 ELSE 1 END) * 1000000000000 + {a}.claim_order * 1000000 + {a}.line"
    view(
        "r_duplicate",
        f"""
        {
            finding(
                "duplicate",
                "'fail'",
                "l.code || ' (' || CASE WHEN l.mods = '' THEN 'no modifiers' ELSE l.mods END || ', ' || "
                + T("l.units")
                + " || ' unit' || CASE WHEN l.units <> 1 THEN 's' ELSE '' END || ') on ' || "
                "l.dos_text || ' by the same provider duplicates ' || min_by("
                + where("o", "l")
                + ", o.seq) || "
                + L(
                    ": report a service once, with units, or with a modifier saying why it was repeated (76, 77, 91, 59/X{EPSU}, anatomic)"
                ),
                L(duplicate.SECTION),
                L(duplicate.VINTAGE),
            )
        },
               TRUE AS deny, 0 AS sub
        FROM own l JOIN ln o ON o.scope = l.scope AND o.dos = l.dos AND o.code = l.code
          AND o.units = l.units AND o.npi = l.npi AND o.modset = l.modset AND o.lid <> l.lid
          AND {order_key.format(a="o")} < {order_key.format(a="l")}
        GROUP BY l.lid, l.claim_key, l.claim_id, l.line, l.code, l.mods, l.units, l.dos_text
        """,
    )

    # -- bilateral ---------------------------------------------------------------------------
    view(
        "sided_groups",
        f"""
        SELECT l.lid, sum(o.units) AS units,
               max(CASE WHEN o.sides LIKE '%LT%' THEN 1 ELSE 0 END)
                 + max(CASE WHEN o.sides LIKE '%RT%' THEN 1 ELSE 0 END) AS named,
               {d.ordered_join("o.sides || ' x' || " + T("o.units") + " || ' (' || " + where("o", "l") + " || ')'", ", ", "o.seq")} AS shown
        FROM own l JOIN ln o ON o.scope = l.scope AND o.dos = l.dos AND o.code = l.code
          AND o.npi = l.npi AND o.sides IS NOT NULL AND o.has50 = 0
        WHERE l.sides IS NOT NULL AND l.has50 = 0 AND l.setting = 'practitioner'
        GROUP BY l.lid
        """,
    )
    view(
        "r_bilateral",
        f"""
        {
            finding(
                "bilateral",
                "'fail'",
                "l.code || ' (line ' || " + T("l.line") + " || ') has modifier 50 ' || "
                "CASE WHEN l.sides IS NOT NULL THEN 'with ' || l.sides ELSE 'with ' || "
                + T("l.units")
                + " || ' units' END || "
                "': a bilateral procedure is one line with modifier 50 and one unit (50 already says both sides)'",
                L(bilateral.ONE_LINE),
                L(bilateral.MUE_VINTAGE),
            )
        },
               FALSE AS deny, 0 AS sub
        FROM own l WHERE l.has50 = 1 AND (l.sides IS NOT NULL OR l.units > 1)
        UNION ALL
        {
            finding(
                "bilateral",
                "CASE WHEN r.release IS NULL THEN 'no_data' ELSE 'fail' END",
                "CASE WHEN r.release IS NULL THEN l.code || ' is reported for both sides: ' || "
                + outside("os", "l.dos_text")
                + " ELSE l.code || ' has bilateral indicator 1 (modifier 50 required) and is reported for both sides as ' || g.shown || "
                "': report one line with modifier 50 and 1 unit (IOM 100-04/23/20.9.3.2, 100-04/12/40.7 B)' END",
                "CASE WHEN r.release IS NULL THEN 'PFS:' || l.code ELSE "
                + L(bilateral.PFS_RULE)
                + " END",
                "CASE WHEN r.release IS NULL THEN os.label ELSE r.vintage END",
            )
        },
               TRUE AS deny, 0 AS sub
        FROM own l JOIN sided_groups g ON g.lid = l.lid
        JOIN day_codes_any a ON a.scope = l.scope AND a.dos = l.dos AND a.code = l.code
        JOIN outside os ON os.source = 'pfs'
        LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'pfs'
        LEFT JOIN pfs p ON p.release = r.release AND p.key = l.code
        WHERE (l.units >= 2 OR a.n >= 2) AND (g.named = 2 OR g.units >= 2)
          AND (r.release IS NULL OR p.bilat_surg = 1)
        """,
    )

    # -- assistant ---------------------------------------------------------------------------
    view(
        "r_assistant",
        f"""
        {
            finding(
                "assistant",
                "CASE WHEN l.surgeons IS NOT NULL THEN 'fail' ELSE 'warning' END",
                "CASE WHEN l.surgeons IS NOT NULL THEN l.code || ' (line ' || "
                + T("l.line")
                + " || ') carries assistant modifier ' || l.assisting || ' and ' || l.surgeons || "
                "' on one line: one surgeon is either an assistant or a co-/team surgeon' "
                "ELSE l.code || ' (line ' || "
                + T("l.line")
                + " || ', assistant ' || l.assisting || ') with ' || "
                "min_by(o.surgeons, o.seq) || ' on ' || min_by(" + where("o", "l") + ", o.seq) || "
                "': an assistant at surgery is not generally paid when co-surgeons or a team are paid; only if review verifies medical necessity' END",
                L(assistant.SECTION),
                L(assistant.VINTAGE),
            )
        },
               l.surgeons IS NOT NULL AS deny, 0 AS sub
        FROM own l LEFT JOIN ln o ON l.surgeons IS NULL AND o.scope = l.scope AND o.dos = l.dos
          AND o.code = l.code AND o.lid <> l.lid AND o.surgeons IS NOT NULL
        WHERE l.assisting IS NOT NULL
        GROUP BY l.lid, l.claim_key, l.claim_id, l.line, l.code, l.assisting, l.surgeons
        HAVING l.surgeons IS NOT NULL OR count(o.lid) > 0
        """,
    )

    # -- add_on ------------------------------------------------------------------------------
    rule_rank = {rule: at for at, rule in enumerate(RULES)}
    view(
        "denied",
        f"""
        SELECT lid, min_by(rule || ' ' || ref, rank * 4503599627370496 + sub) AS denial FROM (
          SELECT lid, rule, ref, sub, {rule_rank["code_validity"]} AS rank FROM r_code_lines WHERE status = 'fail'
          UNION ALL SELECT lid, rule, ref, sub, {rule_rank["pfs_status"]} FROM r_pfs_status WHERE status = 'fail'
          UNION ALL SELECT lid, rule, ref, sub, {rule_rank["ptp"]} FROM r_ptp WHERE status = 'fail' AND deny
          UNION ALL SELECT lid, rule, ref, sub, {rule_rank["mue"]} FROM r_mue WHERE status = 'fail'
          UNION ALL SELECT lid, rule, ref, sub, {rule_rank["duplicate"]} FROM r_duplicate
          UNION ALL SELECT lid, rule, ref, sub, {rule_rank["bilateral"]} FROM r_bilateral WHERE status = 'fail' AND deny
          UNION ALL SELECT lid, rule, ref, sub, {rule_rank["assistant"]} FROM r_assistant WHERE deny
        ) t GROUP BY lid
        """,
    )
    view(
        "aoc_codes",
        f"""
        SELECT release, add_on, min(edit_type) AS edit_type, min(primary_code) AS first_primary,
               count(*) AS listed,
               {d.ordered_join("CASE WHEN n <= 5 THEN primary_code END", ", ", "n")} AS shown
        FROM (SELECT a.*, row_number() OVER (PARTITION BY release, add_on ORDER BY primary_code) AS n
              FROM aoc a) t
        GROUP BY release, add_on
        """,
    )
    view(
        "add_on_lines",
        """
        SELECT l.lid, r.vintage, r.release, c.edit_type, c.first_primary, c.listed, c.shown
        FROM own l JOIN rel r ON r.dos = l.dos AND r.source = 'ncci-aoc'
        JOIN aoc_codes c ON c.release = r.release AND c.add_on = l.code
        """,
    )

    def add_on_primaries(name: str, chained: bool) -> None:
        """Per add-on line, its listed primaries on the day: one payable (the first by code)
        or, when every one is denied, the first denied. `chained`: a primary that is itself
        an add-on failed by this rule counts as denied too, when the streaming engine has
        judged it first (an earlier claim of the scope, or an earlier line: `seq`), as
        `RuleContext.deny` records it; one link of such a chain is followed."""
        failed = "LEFT JOIN add_on_failed af ON af.lid = o.lid AND o.seq < l.seq" if chained else ""
        denial = "coalesce(dn.denial, af.denial)" if chained else "dn.denial"
        free = "dn.lid IS NULL AND af.lid IS NULL" if chained else "dn.lid IS NULL"
        view(
            name,
            f"""
            SELECT lid, max(payable) AS payable, min_by(code, k) AS p_code,
                   min_by(wh, k) AS p_where, min_by(denial, k) AS p_denial
            FROM (
              SELECT a.lid, o.code, {where("o", "l")} AS wh, {denial} AS denial,
                     CASE WHEN {free} THEN 1 ELSE 0 END AS payable,
                     CASE WHEN {free} THEN '0' ELSE '1' END || o.code || '|'
                       || lpad({T("o.seq")}, 19, '0') AS k
              FROM add_on_lines a JOIN own l ON l.lid = a.lid
              JOIN aoc p ON p.release = a.release AND p.add_on = l.code
              JOIN ln o ON o.scope = l.scope AND o.dos = l.dos AND o.npi = l.npi
                       AND o.code = p.primary_code
              LEFT JOIN denied dn ON dn.lid = o.lid
              {failed}
              WHERE a.edit_type <> 2
            ) t GROUP BY lid
            """,
        )

    add_on_primaries("add_on_first", chained=False)
    view(
        "add_on_failed",
        """
        SELECT q.lid, 'add_on AOC:' || q.p_code || '/' || l.code AS denial
        FROM add_on_first q JOIN own l ON l.lid = q.lid WHERE q.payable = 0
        """,
    )
    add_on_primaries("add_on_primaries", chained=True)
    head = "'add-on code ' || l.code || ' (type ' || " + T("a.edit_type") + " || ')"
    add_on_message = (
        f"CASE WHEN a.edit_type = 2 THEN 'add-on code ' || l.code || ' (type 2) has no specific "
        "primary code: the Medicare contractor decides which primaries are acceptable' "
        f"WHEN q.payable = 1 THEN {head} has its primary ' || q.p_code || ' (' || q.p_where || "
        "') on ' || l.dos_text "
        f"WHEN q.payable = 0 THEN {head}: its primary ' || q.p_code || ' (' || q.p_where || "
        "') is itself denied (' || q.p_denial || '), so the add-on has no payable primary on the day' "
        f"ELSE {head} has none of its listed primary codes (' || a.shown || "
        f"CASE WHEN a.listed > 5 THEN ' and ' || {T('a.listed - 5')} || ' more' ELSE '' END || "
        "') on ' || l.dos_text || CASE WHEN a.edit_type = 3 THEN '; for type 3 edits the MAC may "
        "accept other primary codes: the contractor''s call, so check its policy before sending "
        "the claim' ELSE '; report it with one of them on the same date' END END"
    )
    view(
        "r_add_on",
        f"""
        {
            finding(
                "add_on",
                "CASE WHEN a.edit_type = 2 OR q.payable = 1 THEN 'pass' WHEN q.payable = 0 THEN 'fail' "
                "WHEN a.edit_type = 3 THEN 'warning' ELSE 'fail' END",
                add_on_message,
                "CASE WHEN a.edit_type = 2 THEN "
                + L("AOC:" + CONTRACTOR_DEFINED_PRIMARY + "/")
                + " || l.code WHEN q.payable IS NOT NULL THEN 'AOC:' || q.p_code || '/' || l.code "
                "ELSE 'AOC:' || a.first_primary || '/' || l.code END",
                "a.vintage",
            )
        }
        FROM own l JOIN add_on_lines a ON a.lid = l.lid
        LEFT JOIN add_on_primaries q ON q.lid = l.lid
        UNION ALL
        {
            finding(
                "add_on",
                "'no_data'",
                "'cannot tell whether these are add-on codes: ' || " + outside("os", "l.dos_text"),
                L(add_on.SECTION),
                "os.label",
            )
        }
        FROM own l JOIN outside os ON os.source = 'ncci-aoc'
        LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'ncci-aoc'
        WHERE r.release IS NULL
        """,
    )

    # -- complexity_add_on -------------------------------------------------------------------
    view(
        "g2211",
        f"""
        SELECT l.lid,
               count(CASE WHEN o.is_office_visit THEN 1 END) AS visits,
               min_by(CASE WHEN o.is_office_visit AND o.has25 = 0 THEN o.code END,
                      CASE WHEN o.is_office_visit AND o.has25 = 0 THEN o.seq END) AS plain_code,
               min_by(CASE WHEN o.is_office_visit AND o.has25 = 0 THEN {where("o", "l")} END,
                      CASE WHEN o.is_office_visit AND o.has25 = 0 THEN o.seq END) AS plain_where,
               min_by(CASE WHEN o.is_office_visit THEN o.code END,
                      CASE WHEN o.is_office_visit THEN o.seq END) AS visit_code,
               min_by(CASE WHEN o.is_office_visit THEN {where("o", "l")} END,
                      CASE WHEN o.is_office_visit THEN o.seq END) AS visit_where,
               {d.ordered_join("CASE WHEN o.is_companion THEN o.code END", ", ", "o.code")} AS companions_all
        FROM own l JOIN ln o ON o.scope = l.scope AND o.dos = l.dos AND o.npi = l.npi
        WHERE l.is_complexity
        GROUP BY l.lid
        """,
    )
    about = (
        "'G2211 (line ' || "
        + T("l.line")
        + " || ') on ' || l.dos_text || ' with ' || g.visit_code "
        "|| '-25 (' || g.visit_where || '): §30.6.19 does not pay G2211 on the date of an "
        "office/outpatient visit reported with modifier 25'"
    )
    view(
        "companions",
        f"""
        SELECT lid, {d.ordered_join("code", ", ", "code")} AS codes FROM (
          SELECT DISTINCT l.lid, o.code FROM own l
          JOIN ln o ON o.scope = l.scope AND o.dos = l.dos AND o.npi = l.npi AND o.is_companion
          WHERE l.is_complexity) t GROUP BY lid
        """,
    )
    view(
        "r_complexity",
        f"""
        {
            finding(
                "complexity_add_on",
                f"CASE WHEN g.plain_code IS NOT NULL THEN 'pass' WHEN c.codes IS NOT NULL AND l.dos >= {EXCEPTION_FROM_DAY} THEN 'warning' ELSE 'fail' END",
                "CASE WHEN g.plain_code IS NOT NULL THEN 'G2211 with office/outpatient visit ' || g.plain_code || ' (' || g.plain_where || ') reported without modifier 25' "
                f"WHEN c.codes IS NOT NULL AND l.dos >= {EXCEPTION_FROM_DAY} THEN {about} || '; from 2025 the PFS final rule pays it when the other same-day service is an annual wellness visit, vaccine administration or Part B preventive service, and ' || c.codes || ' is on the day: confirm the 25 is for it' "
                f"ELSE {about} END",
                L(COMPLEXITY_SECTION),
                L(complexity_add_on.VINTAGE),
            )
        }
        FROM own l JOIN g2211 g ON g.lid = l.lid AND g.visits > 0
        LEFT JOIN companions c ON c.lid = l.lid
        """,
    )

    # -- modifiers ---------------------------------------------------------------------------
    mod_cols, mod_joins = listed_on(
        "modifiers", "hcpcs-modifiers", "x.modifier", "modifier", "x.dos"
    )
    view(
        "modifier_listed",
        f"SELECT x.modifier, x.dos, {mod_cols} FROM (SELECT DISTINCT m.modifier, l.dos, l.dos_text "
        f"FROM line_mods m JOIN own l ON l.lid = m.lid) x {mod_joins}",
    )
    known_status = (
        "CASE WHEN mf.known_status IS NOT NULL THEN mf.known_status "
        "WHEN ml.status <> 'pass' AND mf.trip_message IS NOT NULL THEN 'pass' ELSE ml.status END"
    )
    known_message = (
        "CASE WHEN mf.known_status IS NOT NULL THEN mf.known_message "
        "WHEN ml.status <> 'pass' AND mf.trip_message IS NOT NULL THEN mf.trip_message ELSE ml.message END"
    )
    known_ref = (
        "CASE WHEN mf.known_status IS NOT NULL THEN mf.known_ref "
        "WHEN ml.status <> 'pass' AND mf.trip_message IS NOT NULL THEN mf.trip_ref ELSE 'MOD:' || m.modifier END"
    )
    known_vintage = (
        "CASE WHEN mf.known_status IS NOT NULL THEN mf.known_vintage "
        "WHEN ml.status <> 'pass' AND mf.trip_message IS NOT NULL THEN mf.trip_vintage ELSE ml.vintage END"
    )
    indicator_value = (
        "CASE i.field WHEN 'pctc' THEN po.pctc WHEN 'mult_proc' THEN po.mult_proc "
        "WHEN 'bilat_surg' THEN po.bilat_surg WHEN 'asst_surg' THEN po.asst_surg "
        "WHEN 'co_surg' THEN po.co_surg WHEN 'team_surg' THEN po.team_surg END"
    )
    view(
        "modifier_checks",
        f"""
        SELECT l.lid, l.claim_key, l.claim_id, l.line, l.code, l.dos_text, l.setting, m.modifier,
               i.modifier AS rule_modifier, i.unknown,
               {known_status} AS k_status, {known_message} AS k_message, {known_ref} AS k_ref,
               {known_vintage} AS k_vintage, po.release AS pfs_release, po.vintage AS pfs_vintage,
               po.status AS pfs_status, {indicator_value} AS value
        FROM own l JOIN line_mods m ON m.lid = l.lid
        JOIN modifier_facts mf ON mf.modifier = m.modifier AND mf.code = l.code AND mf.setting = l.setting
        LEFT JOIN modifier_listed ml ON ml.modifier = m.modifier AND ml.dos = l.dos
        LEFT JOIN (SELECT DISTINCT modifier, field, unknown FROM indicator_facts) i ON i.modifier = m.modifier
        LEFT JOIN pfs_on po ON po.lid = l.lid
        """,
    )
    view(
        "r_modifiers",
        f"""
        SELECT l.lid, l.claim_key, l.claim_id, l.line, 'modifiers' AS rule,
          CASE WHEN l.rule_modifier IS NULL OR l.setting = 'dme' THEN l.k_status
               WHEN l.pfs_release IS NULL OR l.pfs_status IS NULL THEN 'no_data'
               WHEN f.allowed THEN 'pass' WHEN f.review THEN 'warning' ELSE 'fail' END AS status,
          CASE WHEN l.rule_modifier IS NULL THEN l.k_message
               WHEN l.setting = 'dme' THEN l.k_message || {L(NOT_PFS)}
               WHEN l.pfs_release IS NULL THEN 'modifier ' || l.modifier || ': ' || {outside("os", "l.dos_text")}
               WHEN l.pfs_status IS NULL THEN 'modifier ' || l.modifier || ': ' || l.code || ' is not in '
                    || l.pfs_vintage || ', so its ' || l.unknown
               WHEN f.allowed THEN 'modifier ' || l.modifier || ' allowed: ' || l.code || ' ' || f.said || f.note
               WHEN f.review THEN 'modifier ' || l.modifier || ' ' || {L(REVIEW)} || ': ' || l.code || ' ' || f.said
               ELSE 'modifier ' || l.modifier || ' is not allowed: ' || l.code || ' ' || f.said END AS message,
          CASE WHEN l.rule_modifier IS NULL OR l.setting = 'dme' THEN l.k_ref ELSE 'PFS:' || l.code END AS ref,
          CASE WHEN l.rule_modifier IS NULL OR l.setting = 'dme' THEN l.k_vintage
               WHEN l.pfs_release IS NULL THEN os.label ELSE l.pfs_vintage END AS vintage
        FROM modifier_checks l JOIN outside os ON os.source = 'pfs'
        LEFT JOIN indicator_facts f ON f.modifier = l.modifier AND f.value = l.value
        """,
    )

    # -- place_of_service --------------------------------------------------------------------
    view(
        "r_place",
        f"""
        {
            finding(
                "place_of_service",
                "'fail'",
                "'line ' || "
                + T("l.line")
                + " || ' has no place of service: professional claims give one on every line'",
                L(place_of_service.FORM_CHAPTER),
                L(place_of_service.CODE_SET),
            )
        }
        FROM own l WHERE l.pos = '' AND l.setting IN ('practitioner', 'dme')
        UNION ALL
        {
            finding(
                "place_of_service",
                "CASE WHEN r.release IS NULL THEN 'no_data' WHEN p.code IS NULL OR NOT p.assigned THEN 'fail' ELSE 'pass' END",
                "CASE WHEN r.release IS NULL THEN "
                + outside("os", "l.dos_text")
                + " WHEN p.code IS NULL THEN l.pos || ' is not a place of service code' "
                "WHEN NOT p.assigned THEN 'place of service ' || l.pos || ' is unassigned: CMS has given it no meaning' "
                "ELSE 'place of service ' || l.pos || ': ' || p.name END",
                "'POS:' || l.pos",
                "CASE WHEN r.release IS NULL THEN os.label ELSE r.vintage END",
            )
        }
        FROM own l JOIN outside os ON os.source = 'pos'
        LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'pos'
        LEFT JOIN pos p ON p.release = r.release AND p.code = l.pos
        WHERE l.pos <> ''
        """,
    )

    # -- global_surgery ----------------------------------------------------------------------
    view(
        "surgeries",
        """
        SELECT l.*, po.global_days, po.vintage AS pfs_vintage,
               CASE po.global_days WHEN '000' THEN 0 WHEN '010' THEN 10 WHEN '090' THEN 90 END AS period,
               l.has78 = 0 AS opens
        FROM ln l JOIN pfs_on po ON po.lid = l.lid
        WHERE NOT l.is_em AND po.global_days IN ('000', '010', '090', 'YYY')
        """,
    )
    view(
        "unknown_pfs",
        """
        SELECT l.* FROM ln l LEFT JOIN rel r ON r.dos = l.dos AND r.source = 'pfs'
        WHERE NOT l.is_em AND r.release IS NULL
        """,
    )
    view(
        "gs_claims",
        """
        SELECT claim_key FROM own WHERE setting <> 'dme' GROUP BY claim_key
        HAVING max(CASE WHEN is_em THEN 1 ELSE 0 END) = 1 OR bool_or(across)
            OR count(DISTINCT dos) > 1
        """,
    )
    view(
        "gs_visits",
        f"""
        SELECT v.lid, min_by(u.dos_text, u.seq) AS blind_day, count(u.lid) AS blind
        FROM own v JOIN gs_claims c ON c.claim_key = v.claim_key
        LEFT JOIN unknown_pfs u ON u.scope = v.scope AND v.dos - u.dos BETWEEN -{global_surgery.LONGEST} AND 1
        WHERE v.is_em GROUP BY v.lid
        """,
    )
    view(
        "stays",
        """
        SELECT v.lid AS v_lid, s.lid AS s_lid FROM own v
        JOIN surgeries s ON s.scope = v.scope AND s.npi = v.npi AND s.opens
        LEFT JOIN ln x ON x.scope = v.scope AND x.is_discharge AND x.dos >= s.dos AND x.dos < v.dos
        WHERE v.is_em AND v.has24 = 1 AND (v.is_hospital_visit OR v.pos = '21') AND s.pos = '21'
          AND v.dos - s.dos > 0
          GROUP BY v.lid, s.lid HAVING count(x.lid) = 0
        """,
    )
    gs_about = (
        "'E/M ' || v.code || ' (line ' || "
        + T("v.line")
        + " || ') on ' || v.dos_text || ' and ' || "
        "s.code || ' (' || " + where("s", "v") + " || ', global ' || s.global_days || ') on ' || "
        "s.dos_text || ': '"
    )
    off = "(v.dos - s.dos)"
    when = f"CASE WHEN {off} = 0 THEN 'the day of' ELSE 'the day before' END"
    G = global_surgery
    verdict = f"""
        CASE
          WHEN s.global_days = 'YYY' THEN 'warning|{G.PACKAGE}|global days YYY: the Medicare contractor sets this code''s global period (0, 10 or 90 days) when it prices it, so whether the visit is in the package, and which modifier it needs, is the contractor''s call'
          WHEN v.is_critical AND v.hasft = 1 THEN 'pass|{G.CRITICAL}|FT marks critical care unrelated to the procedure'
          WHEN v.is_critical THEN 'fail|{G.BILLING}|critical care in a global period is paid only when unrelated to the procedure, with modifier FT (§40.2 A.9, §30.6.12.7)'
          WHEN {off} <= 0 AND s.global_days = '090' THEN
            CASE WHEN v.has57 = 1 THEN 'pass|{G.BILLING}|modifier 57 marks the decision for surgery on ' || {when} || ' it'
                 WHEN v.hasft = 1 THEN 'pass|{G.ADJUDICATION}|FT marks an E/M unrelated to the surgery on ' || {when} || ' it'
                 WHEN v.has25 = 1 AND {off} = 0 THEN 'fail|{G.BILLING}|on the day of major surgery the decision for surgery is billed with 57, not 25 (§40.2 A.4); an unrelated visit takes FT (§40.4 A); otherwise the visit is in the global package'
                 ELSE 'fail|{G.BILLING}|an E/M on ' || {when} || ' major surgery is in the global package unless it was the decision for surgery (modifier 57) or unrelated to it (FT)' END
          WHEN {off} = 0 THEN
            CASE WHEN v.has25 = 1 THEN 'pass|{G.MODIFIERS}|modifier 25 marks a significant, separately identifiable E/M on the day of a minor procedure'
                 WHEN v.hasft = 1 THEN 'pass|{G.ADJUDICATION}|FT marks an E/M unrelated to the procedure'
                 ELSE 'fail|{G.MODIFIERS}|an E/M on the day of a minor procedure is in its global package unless significant and separately identifiable (modifier 25) or unrelated (FT)' ||
                   CASE WHEN v.has57 = 1 THEN ' (57 is not used with minor procedures, whose package does not include the day before: §30.6.6 C)' ELSE '' END END
          WHEN v.has24 = 1 AND st.v_lid IS NOT NULL THEN 'fail|{G.ADJUDICATION}|a hospital visit with 24 on postoperative day ' || {T(off)} || ', during the inpatient stay of the surgery (both inpatient, no discharge visit between): 24 is recognised only after discharge (§40.4 A) and care in that stay is in the global package (§30.6.6 A)'
          WHEN v.has24 = 1 THEN 'pass|{G.MODIFIERS}|modifier 24 marks an unrelated E/M on postoperative day ' || {T(off)}
          WHEN v.hasft = 1 THEN 'pass|{G.ADJUDICATION}|modifier FT marks an unrelated E/M on postoperative day ' || {T(off)}
          ELSE 'fail|{G.MODIFIERS}|an E/M on postoperative day ' || {T(off)} || ' of ' || {T("s.period")} || ' is in the global package unless unrelated to the surgery (modifier 24, or FT)'
        END"""
    view(
        "gs_judged",
        f"""
        SELECT v.lid, v.claim_key, v.claim_id, v.line, s.pfs_vintage, {gs_about} AS about,
               {verdict} AS verdict
        FROM own v JOIN gs_visits g ON g.lid = v.lid AND g.blind = 0
        JOIN rel r ON r.dos = v.dos AND r.source = 'pfs'
        JOIN surgeries s ON s.scope = v.scope AND s.npi = v.npi AND s.opens
          AND {off} BETWEEN -1 AND {G.LONGEST}
          AND (s.global_days = 'YYY' OR (({off} >= 0 OR s.global_days = '090') AND {off} <= s.period))
        LEFT JOIN stays st ON st.v_lid = v.lid AND st.s_lid = s.lid
        """,
    )
    split = "split_part"
    view(
        "r_global",
        f"""
        SELECT lid, claim_key, claim_id, line, 'global_surgery' AS rule,
               {split}(verdict, '|', 1) AS status,
               about || substr(verdict, length({split}(verdict, '|', 1)) + length({split}(verdict, '|', 2)) + 3) AS message,
               {split}(verdict, '|', 2) AS ref, pfs_vintage AS vintage
        FROM gs_judged
        UNION ALL
        SELECT v.lid, v.claim_key, v.claim_id, v.line, 'global_surgery',
               CASE WHEN r.release IS NULL OR g.blind > 0 THEN 'no_data' ELSE 'pass' END,
               CASE WHEN r.release IS NULL OR g.blind > 0 THEN
                 'global periods unknown: ' || {outside("os", "CASE WHEN r.release IS NULL THEN v.dos_text ELSE g.blind_day END")}
               ELSE 'no procedure on this ' || CASE WHEN v.across THEN 'patient''s claims' ELSE 'claim' END
                    || ' by the same provider has a global period covering ' || v.dos_text END,
               {L(G.PACKAGE)},
               CASE WHEN r.release IS NULL OR g.blind > 0 THEN os.label ELSE r.vintage END
        FROM own v JOIN gs_visits g ON g.lid = v.lid JOIN outside os ON os.source = 'pfs'
        LEFT JOIN rel r ON r.dos = v.dos AND r.source = 'pfs'
        LEFT JOIN (SELECT DISTINCT lid FROM gs_judged) j ON j.lid = v.lid
        WHERE j.lid IS NULL
        UNION ALL
        SELECT p.lid, p.claim_key, p.claim_id, p.line, 'global_surgery',
          CASE WHEN e.global_days = 'YYY' THEN 'warning' WHEN p.new_period IS NOT NULL THEN 'pass' ELSE 'fail' END,
          p.code || ' (line ' || {T("p.line")} || ') on ' || p.dos_text || ', postoperative day ' ||
          {T("p.dos - e.dos")} || ' of ' || e.code || ' (' || {where("e", "p")} || ', global ' ||
          e.global_days || ') on ' || e.dos_text || ': ' ||
          CASE WHEN e.global_days = 'YYY' THEN 'global days YYY, the contractor sets the period; if this day is in it, the procedure needs 58, 78 or 79'
               WHEN p.new_period IS NOT NULL THEN 'modifier ' || p.new_period || ' marks ' ||
                 CASE p.new_period {" ".join(f"WHEN {L(m)} THEN {L(w)}" for m, w in groups.GLOBAL_PERIOD_MODIFIERS.items())} END
               ELSE 'a procedure with a global period in another''s postoperative days is paid only with 58 (staged or related), 78 (return to the operating room) or 79 (unrelated) (§40.4 A)' END,
          CASE WHEN e.global_days = 'YYY' THEN {L(G.PACKAGE)} ELSE {L(G.ADJUDICATION)} END,
          e.pfs_vintage
        FROM surgeries p JOIN gs_claims c ON c.claim_key = p.claim_key
        JOIN surgeries e ON e.scope = p.scope AND e.npi = p.npi AND p.dos - e.dos >= 1 AND e.opens
          AND ((e.global_days = 'YYY' AND p.dos - e.dos <= {G.LONGEST}) OR p.dos - e.dos <= e.period)
        WHERE NOT p.history AND p.setting <> 'dme'
        """,
    )

    # -- all findings ------------------------------------------------------------------------
    parts = [
        ("code_validity", "r_code_lines"),
        ("code_validity", "r_code_dx"),
        ("pfs_status", "r_pfs_status"),
        ("ptp", "r_ptp"),
        ("mue", "r_mue"),
        ("duplicate", "r_duplicate"),
        ("bilateral", "r_bilateral"),
        ("assistant", "r_assistant"),
        ("add_on", "r_add_on"),
        ("complexity_add_on", "r_complexity"),
        ("modifiers", "r_modifiers"),
        ("place_of_service", "r_place"),
        ("global_surgery", "r_global"),
    ]
    view(
        "findings",
        " UNION ALL ".join(
            f"SELECT {FINDING_COLUMNS}, {rule_rank[rule]} AS rule_rank FROM {name}"
            for rule, name in parts
        ),
    )
    return out
