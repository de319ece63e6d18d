"""The REST API in-process (ASGI), against the knowledge base built from ../shared/cms:
every endpoint, the one error shape, size limits, API keys, and no claim data in logs."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient

from medref.api.app import create_app
from medref.api.deps import Bulkhead
from medref.api.web import STATIC
from medref.kb import KnowledgeBase
from medref.services import knowledge as kb_service
from medref.services.resources import Lazy, Resources
from medref.settings import Settings

pytestmark = pytest.mark.kb

EXAMPLE_CSV = (STATIC / "example-claims.csv").read_bytes()


@pytest.fixture(scope="module")
def resources(kb: KnowledgeBase, kb_settings: Settings) -> Resources:
    return Resources(kb_settings)


@pytest.fixture(scope="module")
def client(kb_settings: Settings, resources: Resources) -> Iterator[TestClient]:
    with TestClient(create_app(kb_settings, resources)) as test_client:
        yield test_client


class Reply(Protocol):
    """What the test client returns (its httpx flavour varies with Starlette's version)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def assert_error(response: Reply, status: int, kind: str | None = None) -> str:
    """The one error shape, and nothing else in the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "type", "message"}
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    if kind is not None:
        assert body["error"]["type"] == kind
    message: str = body["error"]["message"]
    return message


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# -- knowledge base ------------------------------------------------------------------------


def test_health_reads_the_database_and_names_the_build_not_its_path(
    client: TestClient, kb: KnowledgeBase
) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["build"] == kb.path.name
    assert body["built_at"] == kb.manifest["built_at"]
    assert body["releases"] == len(kb.releases()) and body["age_seconds"] >= 0
    assert str(kb.path.parent) not in json.dumps(body)


def test_sources_lists_every_release(client: TestClient, kb: KnowledgeBase) -> None:
    rows = client.get("/api/sources").json()
    assert {(r["source"], r["release"]) for r in rows} == {
        (info.source, info.release) for info in kb.releases()
    }
    hcpcs = next(r for r in rows if r["source"] == "hcpcs")
    assert hcpcs["release"] == "2026-01" and hcpcs["records"] > 8000


def test_record_returns_the_text_citations_quote(client: TestClient, kb: KnowledgeBase) -> None:
    body = client.get("/api/record", params={"ref": "HCPCS:G0439"}).json()
    stored = kb.get("HCPCS:G0439")
    assert stored is not None
    assert (body["ref"], body["release"], body["text"]) == (
        "HCPCS:G0439",
        stored.release,
        stored.text,
    )


def test_record_of_a_ptp_pair(client: TestClient) -> None:
    body = client.get("/api/record", params={"ref": "PTP:93000/93010"}).json()
    assert body["source"].startswith("ncci-ptp") and "93010" in body["text"]


def test_unknown_record_is_404(client: TestClient) -> None:
    assert "HCPCS:Z9999" in assert_error(
        client.get("/api/record", params={"ref": "HCPCS:Z9999"}), 404, "not_found_error"
    )


def test_vault_page_with_links_and_backlinks(client: TestClient) -> None:
    index = client.get("/api/vault/index").json()
    assert index["slug"] == "index" and index["links"]
    target = index["links"][0]
    page = client.get(f"/api/vault/{target}").json()
    assert "index" in page["backlinks"]
    assert {"slug", "title", "description", "body", "links", "backlinks"} <= set(page)


def test_unknown_vault_page_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/vault/no-such-page"), 404)


# -- search and ask ------------------------------------------------------------------------


def test_search_routes_a_code_to_its_record(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "G0439", "k": 5}).json()
    assert hits[0]["ref"] == "HCPCS:G0439"
    assert len(hits) <= 5
    assert {"ref", "source", "release", "title", "snippet", "score"} <= set(hits[0])


def test_search_filters_by_source(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "global surgery", "source": "iom"}).json()
    assert hits and {hit["source"] for hit in hits} == {"iom"}


def test_search_by_date_of_service_uses_the_release_in_force(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "E11.9", "date_of_service": "2025-03-01"})
    icd = [hit for hit in hits.json() if hit["source"] == "icd10cm"]
    assert icd and icd[0]["release"] == "2025"


def test_search_rejects_unknown_source_and_bad_input(client: TestClient) -> None:
    assert "loaded:" in assert_error(
        client.get("/api/search", params={"q": "x", "source": "nope"}), 400, "input_error"
    )
    assert_error(client.get("/api/search", params={"q": "   "}), 400)
    assert_error(client.get("/api/search", params={"q": "x", "k": 0}), 422, "validation_error")
    assert_error(client.get("/api/search", params={"q": "x", "date_of_service": "May 1"}), 422)


def test_ask_cites_exact_quotes(client: TestClient) -> None:
    question = "What is the global period for major surgery?"
    body = client.post("/api/ask", json={"question": question}).json()
    assert body["answerable"] and body["citations"]
    for citation in body["citations"]:
        record = client.get(
            "/api/record", params={"ref": citation["ref"], "release": citation["release"]}
        ).json()
        assert citation["quote"] in record["text"]


def test_ask_stream_sends_text_then_the_answer(client: TestClient) -> None:
    response = client.get(
        "/api/ask/stream", params={"q": "What is the global period for major surgery?"}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and "text" in kinds
    answer = events[-1][1]
    streamed = "".join(data["text"] for kind, data in events if kind == "text")
    assert answer["citations"] and streamed.strip()
    assert {"answer", "answerable", "citations"} <= set(answer)


def test_ask_refuses_what_the_sources_do_not_answer(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "What is the capital of Mongolia?"}).json()
    assert body["answerable"] is False and body["citations"] == []


def test_ask_validates_its_body(client: TestClient) -> None:
    assert "question" in assert_error(client.post("/api/ask", json={}), 422)
    assert_error(client.post("/api/ask", json={"question": "x", "k": "many"}), 422)


# -- codes and E/M -------------------------------------------------------------------------


def test_code_card_of_a_hcpcs_code(client: TestClient) -> None:
    card = client.get("/api/code/G0439").json()
    assert (card["code"], card["system"], card["valid"]) == ("G0439", "hcpcs-level-2", True)
    assert card["record"]["ref"] == "HCPCS:G0439"


def test_code_card_on_a_date_before_the_code_existed(client: TestClient) -> None:
    card = client.get("/api/code/G0439", params={"date_of_service": "2010-06-01"}).json()
    assert card["valid"] is False and card["date_of_service"] == "2010-06-01"


def test_code_card_of_an_icd_code(client: TestClient) -> None:
    card = client.get("/api/code/E11.9").json()
    assert card["system"] == "icd-10-cm" and card["icd"]["billable"] is True


def test_bad_code_is_a_400(client: TestClient) -> None:
    assert_error(client.get("/api/code/NOT-A-CODE!"), 400, "input_error")


def test_code_diff_between_icd_releases(client: TestClient) -> None:
    body = client.get("/api/code-diff", params={"source": "icd10cm", "a": "2025", "b": "2026-04"})
    diff = body.json()
    assert (diff["release_a"], diff["release_b"]) == ("2025", "2026-04")
    assert diff["added"] and diff["deleted"]


def test_code_diff_of_an_unloaded_release(client: TestClient) -> None:
    params = {"source": "hcpcs", "a": "1999-01", "b": "2026-01"}
    assert "1999-01" in assert_error(client.get("/api/code-diff", params=params), 400)


def test_em_by_mdm_and_by_time(client: TestClient) -> None:
    mdm = {
        "patient": "established",
        "problems": "moderate",
        "data": "limited",
        "risk": "moderate",
        "year": 2025,
    }
    assert client.post("/api/em", json=mdm).json()["code"] == "99214"
    timed = client.post("/api/em", json={"patient": "new", "minutes": 95, "year": 2025}).json()
    assert timed["code"] == "99205"
    assert [(p["code"], p["units"]) for p in timed["prolonged"]] == [("G2212", 1)]


def test_em_other_family(client: TestClient) -> None:
    body = {
        "family": "hospital-initial",
        "problems": "high",
        "data": "extensive",
        "risk": "high",
        "year": 2024,
    }
    assert client.post("/api/em", json=body).json()["code"] == "99223"


def test_em_errors(client: TestClient) -> None:
    assert_error(client.post("/api/em", json={"patient": "new"}), 400, "input_error")
    assert_error(client.post("/api/em", json={"patient": "new", "colour": "red"}), 422)
    assert_error(client.post("/api/em", json={"patient": "new", "minutes": -5}), 422)


# -- claims --------------------------------------------------------------------------------


PTP_CLAIM = [
    {
        "claim_id": "A1",
        "diagnoses": ["I10"],
        "lines": [
            {
                "line": 1,
                "date_of_service": "2024-08-15",
                "code": "93000",
                "units": 1,
                "place_of_service": "11",
            },
            {
                "line": 2,
                "date_of_service": "2024-08-15",
                "code": "93010",
                "units": 1,
                "place_of_service": "11",
            },
        ],
    }
]


def test_check_json_finds_the_ptp_edit(client: TestClient) -> None:
    body = client.post("/api/check", json=PTP_CLAIM).json()
    ptp = [f for f in body["findings"] if f["ref"] == "PTP:93000/93010"]
    assert ptp and ptp[0]["status"] == "fail" and ptp[0]["line"] == 2
    summary = body["summary"]
    assert (summary["claims"], summary["lines"]) == (1, 2)
    assert any("NCCI PTP practitioner 2024-07" in v for v in summary["vintages_used"])


def test_check_summary_names_only_what_this_check_read(client: TestClient) -> None:
    client.post("/api/check", params={"setting": "outpatient"}, json=PTP_CLAIM)
    summary = client.post("/api/check", json=PTP_CLAIM).json()["summary"]
    assert not any("outpatient" in vintage for vintage in summary["vintages_used"])


def test_check_dme_setting(client: TestClient) -> None:
    body = client.post("/api/check", params={"setting": "dme"}, json=PTP_CLAIM).json()
    ptp = [f for f in body["findings"] if f["rule"] == "ptp"]
    assert [f["status"] for f in ptp] == ["no_data", "no_data"]
    assert "no PTP table for DME supplier claims" in ptp[0]["message"]
    assert any("NCCI MUE dme" in v for v in body["summary"]["vintages_used"])
    assert (
        client.post("/api/check", params={"setting": "supplier"}, json=PTP_CLAIM).status_code == 422
    )


def test_check_only_problems(client: TestClient) -> None:
    body = client.post("/api/check", params={"only_problems": True}, json=PTP_CLAIM).json()
    assert body["findings"] and all(f["status"] != "pass" for f in body["findings"])


def test_check_csv_upload_of_the_example(client: TestClient) -> None:
    files = {"file": ("example.csv", EXAMPLE_CSV, "text/csv")}
    body = client.post("/api/check/csv", files=files).json()
    claims = {line.split(",")[0] for line in EXAMPLE_CSV.decode().splitlines()[1:]}
    assert {f["claim_id"] for f in body["findings"]} == claims
    assert body["summary"]["claims"] == len(claims)
    statuses = {f["status"] for f in body["findings"]}
    assert {"pass", "fail"} <= statuses


def test_check_csv_with_a_wrong_header(client: TestClient) -> None:
    files = {"file": ("bad.csv", b"id,code\n1,G0439\n", "text/csv")}
    assert "header" in assert_error(client.post("/api/check/csv", files=files), 400)


def test_check_csv_needs_a_file(client: TestClient) -> None:
    assert "file" in assert_error(client.post("/api/check/csv"), 422)


def test_check_rejects_a_body_that_is_not_a_list(client: TestClient) -> None:
    assert_error(client.post("/api/check", json={"claims": PTP_CLAIM}), 422)


def test_claim_line_cap(
    client: TestClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "max_claim_lines", 3)
    response = client.post("/api/check/csv", files={"file": ("c.csv", EXAMPLE_CSV, "text/csv")})
    assert "claim lines" in assert_error(response, 413, "input_too_large_error")


# -- limits, keys, error shape, web ---------------------------------------------------------


@pytest.fixture(scope="module")
def small(kb_settings: Settings) -> Iterator[TestClient]:
    settings = kb_settings.model_copy(update={"max_upload_bytes": 1000, "max_query_chars": 50})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_query_too_long_is_413(small: TestClient) -> None:
    assert "limit is 50" in assert_error(small.get("/api/search", params={"q": "x" * 51}), 413)
    assert_error(small.post("/api/ask", json={"question": "why " * 20}), 413)


def test_upload_too_large_is_413(small: TestClient) -> None:
    big = EXAMPLE_CSV * 4
    response = small.post("/api/check/csv", files={"file": ("big.csv", big, "text/csv")})
    assert "1,000-byte limit" in assert_error(response, 413, "too_large")


def test_streamed_body_without_length_is_counted(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"[" + b" " * 100 + b"]"

    response = small.post(
        "/api/check", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "too_large")


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/api/no-such-endpoint", 404, "not_found"),
        ("GET", "/static/no-such-file.js", 404, "not_found"),
        ("DELETE", "/api/health", 405, "method_not_allowed"),
        ("POST", "/api/sources", 405, "method_not_allowed"),
        ("GET", "/api/search", 422, "validation_error"),
        ("GET", "/api/code-diff?source=hcpcs", 422, "validation_error"),
    ],
)
def test_every_error_has_the_one_shape(
    client: TestClient, method: str, path: str, status: int, kind: str
) -> None:
    assert_error(client.request(method, path), status, kind)


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/em", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in assert_error(response, 422, "validation_error")


def test_unexpected_error_is_a_bare_500(
    kb_settings: Settings, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: Resources) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(kb_service, "sources", broken)
    with TestClient(create_app(kb_settings, resources), raise_server_exceptions=False) as bare:
        message = assert_error(bare.get("/api/sources"), 500, "internal_error")
    assert "secret" not in message


@pytest.fixture(scope="module")
def keyed(kb_settings: Settings, resources: Resources) -> Iterator[TestClient]:
    settings = kb_settings.model_copy(update={"api_keys": ["k-one", "k-two"]})
    with TestClient(create_app(settings, resources)) as test_client:
        yield test_client


def test_api_keys_guard_the_api(keyed: TestClient) -> None:
    assert "X-API-Key" in assert_error(keyed.get("/api/sources"), 401, "unauthorized")
    assert_error(keyed.get("/api/sources", headers={"X-API-Key": "wrong"}), 401)
    assert_error(keyed.post("/api/check", json=PTP_CLAIM), 401)
    assert_error(keyed.get("/api/no-such-endpoint"), 401)
    assert keyed.get("/api/sources", headers={"X-API-Key": "k-two"}).status_code == 200


def test_health_and_web_app_need_no_key(keyed: TestClient) -> None:
    assert keyed.get("/api/health").status_code == 200
    assert keyed.get("/").status_code == 200
    assert keyed.get("/static/app.js").status_code == 200


def test_web_app_and_openapi(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html") and "app.js" in page.text
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/example-claims.csv").text.startswith("claim_id,line,")
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {
        "/api/search",
        "/api/ask",
        "/api/ask/stream",
        "/api/code/{code}",
        "/api/code-diff",
        "/api/check",
        "/api/check/csv",
        "/api/em",
        "/api/record",
        "/api/vault/{slug}",
        "/api/sources",
        "/api/health",
    } <= paths


def test_no_claim_data_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "PHIZQX"
    claims = [
        {
            "claim_id": f"{marker}-771",
            "diagnoses": ["S72.001A"],
            "lines": [
                {
                    "line": 1,
                    "date_of_service": "2024-08-15",
                    "code": "27236",
                    "units": 1,
                    "place_of_service": "21",
                    "modifiers": ["RT"],
                },
                {"line": 2, "date_of_service": "2024-08-15", "code": f"{marker}9", "units": 1},
            ],
        }
    ]
    csv = (
        f"claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses\n"
        f"{marker}-772,1,2024-08-15,27236,RT,1,21,S72.001A\n{marker}-772,2,bad-date,X,,1,21,\n"
    )
    with caplog.at_level(logging.DEBUG):
        assert client.post("/api/check", json=claims).status_code == 200
        files = {"file": ("claims.csv", csv.encode(), "text/csv")}
        assert client.post("/api/check/csv", files=files).status_code == 200
        client.post(
            "/api/check",
            content=f"[{marker}".encode(),
            headers={"Content-Type": "application/json"},
        )
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert marker not in logged and "S72.001A" not in logged


def test_lazy_loads_once_across_threads() -> None:
    calls = []

    def load() -> object:
        calls.append(1)
        time.sleep(0.05)
        return object()

    lazy = Lazy(load)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(lazy.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1


def test_static_folder_is_package_data() -> None:
    assert Path(STATIC / "index.html").is_file()


def test_bulkhead_lets_heavy_requests_take_turns() -> None:
    gate = Bulkhead(1)
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with gate.slot():
            inside.set()
            release.wait(5)
            order.append("first")

    def second() -> None:
        with gate.slot():
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    inside.wait(5)
    threads[1].start()
    time.sleep(0.05)
    assert order == []
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second"]


def test_bulkhead_slot_is_freed_when_a_stream_stops_early() -> None:
    gate = Bulkhead(1)
    stream = gate.iterate(iter([1, 2, 3]))
    assert next(stream) == 1
    stream.close()
    done = threading.Event()

    def heavy() -> None:
        with gate.slot():
            done.set()

    threading.Thread(target=heavy).start()
    assert done.wait(5)


def test_price_of_a_code_in_a_locality(client: TestClient) -> None:
    found = client.get("/api/price", params={"code": "99213", "locality": "10112-00"})
    assert found.status_code == 200
    body = found.json()
    assert body["allowed_amount"] == "81.86" and "GPCI:10112-00" in body["refs"]
    ambiguous = client.get("/api/price", params={"code": "99213", "locality": "san francisco"})
    assert ambiguous.status_code == 400 and "fits" in ambiguous.json()["error"]["message"]
    checked = client.post(
        "/api/check",
        params={"locality": "10112-00"},
        json=[
            {
                "claim_id": "P",
                "lines": [
                    {
                        "line": 1,
                        "date_of_service": "2025-03-10",
                        "code": "99213",
                        "units": 1,
                        "place_of_service": "11",
                    }
                ],
            }
        ],
    )
    assert checked.status_code == 200
    prices = [f for f in checked.json()["findings"] if f["rule"] == "price"]
    assert prices[0]["allowed_amount"] == "81.86"
