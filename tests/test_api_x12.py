"""The REST API for X12 files, in-process (ASGI): an 837 upload checked with the places of
its findings, an 835 upload explained (with and without the claims as sent), and a file that
is not X12 refused in the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medref.api.app import create_app
from medref.kb import KnowledgeBase
from medref.services.resources import Resources
from medref.settings import Settings

pytestmark = pytest.mark.kb

REPO = Path(__file__).resolve().parents[1]
X12 = (REPO / "tests" / "data" / "x12" / "professional.837").read_bytes()
REMITTANCE = (REPO / "examples" / "remittance.835").read_bytes()
CLAIMS = (REPO / "examples" / "denied-claims.csv").read_bytes()


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase, kb_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(kb_settings, Resources(kb_settings))) as test_client:
        yield test_client


def test_an_837_upload(client: TestClient) -> None:
    files = {"file": ("claims.837", X12, "application/edi-x12")}
    body = client.post("/api/check/x12", files=files, params={"only_problems": True}).json()
    mue = next(f for f in body["findings"] if f["ref"] == "MUE:J1100")
    assert mue["status"] == "fail" and mue["place"]["clm01"] == "PCN-1002"
    assert mue["place"]["lx"] == 1 and mue["place"]["transaction"] == "1001"
    assert body["summary"]["x12"]["service_lines"] == 9


def test_an_835_upload_with_and_without_the_claims(client: TestClient) -> None:
    alone = client.post("/api/denials", files={"file": ("remit.835", REMITTANCE, "text/plain")})
    rows = {(r["claim_id"], r["carc"]): r for r in alone.json()["denials"]}
    assert rows[("D-151", "151")]["verdict"] == "reproduced"
    assert rows[("D-11", "11")]["verdict"] == "no_data"
    files = {
        "file": ("remit.835", REMITTANCE, "text/plain"),
        "claims": ("claims.csv", CLAIMS, "text/csv"),
    }
    rows = {
        (r["claim_id"], r["carc"]): r
        for r in client.post("/api/denials", files=files).json()["denials"]
    }
    assert (rows[("D-11", "11")]["verdict"], rows[("D-11", "11")]["ref"]) == (
        "reproduced",
        "ICD10CM:E11",
    )


def test_a_file_that_is_not_x12(client: TestClient) -> None:
    response = client.post("/api/check/x12", files={"file": ("c.csv", CLAIMS, "text/csv")})
    assert response.status_code == 400
    assert "not an X12 interchange" in response.json()["error"]["message"]
