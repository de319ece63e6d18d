"""The web app in headless Chromium (Debian's chromium + chromedriver, driven by Selenium)
against the app served by uvicorn on 127.0.0.1: each page's main flow, with screenshots in
artifacts/screenshots/. Skipped only when Chromium cannot be installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from medref.api.app import create_app
from medref.kb import KnowledgeBase
from medref.services.resources import Resources
from medref.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.kb]

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
WAIT = 60


def chromium_paths() -> tuple[str, str]:
    """Debian's chromium and chromedriver, installed with apt-get when absent (as
    `make browser-deps` does); skips the module when that is not possible."""
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if None in found and shutil.which("apt-get"):
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
        ):
            subprocess.run(command, capture_output=True, timeout=900, check=False)
        found = shutil.which("chromium"), shutil.which("chromedriver")
    browser, driver = found
    if browser is None or driver is None:
        pytest.skip("chromium and chromedriver are not installed and could not be installed")
    return browser, driver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url(kb: KnowledgeBase, kb_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn in a background thread."""
    resources = Resources(kb_settings)
    config = uvicorn.Config(
        create_app(kb_settings, resources),
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[WebDriver]:
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def visible(driver: WebDriver, css: str, timeout: float = WAIT) -> WebElement:
    found: WebElement = WebDriverWait(driver, timeout).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )
    return found


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def no_errors(driver: WebDriver) -> None:
    assert not driver.find_elements(By.CSS_SELECTOR, ".error"), driver.find_element(
        By.CSS_SELECTOR, ".error"
    ).text


def test_search_ask_and_open_a_citation(browser: WebDriver, base_url: str) -> None:
    question = "What is the global period for major surgery?"
    browser.get(f"{base_url}/#/search?q={quote(question)}")
    visible(browser, ".hit")
    first = visible(browser, "ol.citations button.ref")
    no_errors(browser)
    shot(browser, "search-ask")
    quote_text = first.get_attribute("data-quote")
    first.click()
    mark = visible(browser, "#passage-body mark#quoted")
    assert mark.text.split() == (quote_text or "").split()
    assert browser.find_element(By.ID, "passage").get_attribute("open") is not None
    shot(browser, "citation-passage")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    WebDriverWait(browser, WAIT).until_not(
        lambda d: d.find_element(By.ID, "passage").get_attribute("open")
    )
    browser.find_element(By.CSS_SELECTOR, ".hit button.ref").click()
    term = visible(browser, "#passage-body mark")
    assert term.text.lower() in {"global", "period", "major", "surgery"}


def test_code_card(browser: WebDriver, base_url: str) -> None:
    browser.get(f"{base_url}/#/code/G0439")
    card = visible(browser, "#code-card")
    assert "G0439" in card.text and "hcpcs-level-2" in card.text
    assert card.find_element(By.CSS_SELECTOR, ".badge").text.lower() == "valid"
    assert "HCPCS:G0439" in card.text
    # 2026 HCPCS, the 2025 fee schedule and a 2024 NCCI quarter: said, with each period
    warning = visible(browser, "#mixed-periods")
    assert "different periods" in warning.text and "2024-07-01 to 2024-09-30" in warning.text
    periods = card.find_element(By.CSS_SELECTOR, "#periods").text
    assert "physician fee schedule 2025-01 2025-01-01 onward" in periods
    shot(browser, "code-g0439")


def test_code_card_of_a_terminated_code_marks_its_fee_schedule_row(
    browser: WebDriver, base_url: str, kb: KnowledgeBase
) -> None:
    """A code the card finds not valid keeps its fee schedule row, marked as not applying."""
    code = kb.conn.execute(
        "SELECT h.code FROM records h JOIN records p ON p.code = h.code AND p.source = 'pfs' "
        "WHERE h.source = 'hcpcs' AND h.terminated IS NOT NULL ORDER BY h.code LIMIT 1"
    ).fetchone()[0]
    browser.get(f"{base_url}/#/code/{code}")
    card = visible(browser, "#code-card")
    assert card.find_element(By.CSS_SELECTOR, ".badge").text.lower() == "not valid"
    marked = visible(browser, ".pfs-not-applied")
    assert "does not apply" in marked.text and "terminated" in marked.text


def test_claim_check_with_the_example(browser: WebDriver, base_url: str, downloads: Path) -> None:
    browser.get(f"{base_url}/#/check")
    download = visible(browser, "#download")
    assert not download.is_enabled()
    browser.find_element(By.ID, "example").click()
    WebDriverWait(browser, WAIT).until(
        lambda d: "EX-1001" in str(d.find_element(By.ID, "claims").get_property("value"))
    )
    browser.find_element(By.ID, "check-button").click()
    summary = visible(browser, "#summary")
    assert "4 claims" in summary.text
    claims = browser.find_elements(By.CSS_SELECTOR, "section.claim")
    assert len(claims) == 4
    assert browser.find_elements(By.CSS_SELECTOR, "table.findings .badge.fail")
    assert download.is_enabled()
    shot(browser, "claim-check")
    download.click()
    target = downloads / "findings.csv"
    WebDriverWait(browser, WAIT).until(lambda _: target.exists() and target.stat().st_size > 0)
    assert target.read_text().startswith("claim_id,line,rule,status,message,ref,vintage")


def test_an_837_and_an_835_upload(browser: WebDriver, base_url: str, downloads: Path) -> None:
    """The check page takes X12 files by their content: an 837's findings with their place
    (envelope control numbers, CLM01, LX), what the file held and every line accounted for;
    an 835's denials explained (with the claims as sent, for the diagnoses), with theirs."""
    repo = Path(__file__).resolve().parents[1]
    browser.get(f"{base_url}/#/check")
    visible(browser, "#claims-file").send_keys(
        str(repo / "tests" / "data" / "x12" / "professional.837")
    )
    WebDriverWait(browser, WAIT).until(
        lambda d: str(d.find_element(By.ID, "claims").get_property("value")).startswith("ISA")
    )
    browser.find_element(By.ID, "check-button").click()
    visible(browser, "section.claim")
    no_errors(browser)
    findings = browser.find_element(By.ID, "findings").text
    assert "837P · ISA 000001001 · GS 1001 · ST 1001 · CLM01 PCN-1003 at segment 81" in findings
    assert "Read 1 interchange, 2 functional groups, 3 transaction sets, 143 segments: " in findings
    assert "5 claims (CLM) and 9 service lines (LX)" in findings
    assert "Every claim and line read is accounted for" in findings
    assert "9 lines read = 9 lines checked + 0 lines in claims with input errors" in findings
    ptp = next(
        group
        for group in browser.find_elements(By.CSS_SELECTOR, "tbody.line-group")
        if "PTP:93000/93010" in group.text
    )
    assert "LX 2 at segment 86" in ptp.text
    groups = browser.find_elements(By.CSS_SELECTOR, "tbody.line-group")
    assert any("LX 2 at segment 53\nREF*6R 1001-2" in group.text for group in groups)
    ranged = next(
        group
        for group in browser.find_elements(By.CSS_SELECTOR, "tbody.line-group")
        if "through 2024-09-30" in group.text
    )
    assert "LX 2 at segment 67" in ranged.text
    shot(browser, "check-837")
    target = downloads / "findings.csv"
    target.unlink(missing_ok=True)
    browser.find_element(By.ID, "download").click()
    WebDriverWait(browser, WAIT).until(lambda _: target.exists() and target.stat().st_size > 0)
    assert target.read_text().splitlines()[0] == (
        "claim_id,line,rule,status,message,ref,vintage,guide,interchange,group,transaction,"
        "clm01,clm_segment,lx,lx_segment,line_control,through"
    )

    # a broken envelope is shown with its segment; the claims are still checked
    broken = (repo / "tests" / "data" / "x12" / "professional.837").read_text()
    textarea = browser.find_element(By.ID, "claims")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
        textarea,
        broken.replace("GE*2*1001", "GE*1*1009"),
    )
    browser.find_element(By.ID, "check-button").click()
    problems = visible(browser, "#x12-problems")
    assert problems.text.splitlines() == [
        "segment 111 (GE): GE01 says 1 transaction sets, group 1001 holds 2: a transaction set "
        "may be missing",
        "segment 111 (GE): GE02 '1009' does not match GS06 '1001'",
    ]
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.claim")) == 5

    browser.find_element(By.ID, "claims-file").send_keys(str(repo / "examples" / "remittance.835"))
    browser.find_element(By.ID, "sent-file").send_keys(str(repo / "examples" / "denied-claims.csv"))
    WebDriverWait(browser, WAIT).until(
        lambda d: "GS*HP" in str(d.find_element(By.ID, "claims").get_property("value"))
    )
    browser.find_element(By.ID, "check-button").click()
    visible(browser, "section.denial")
    no_errors(browser)
    text = browser.find_element(By.ID, "findings").text
    assert "11 claims, 14 service lines, 13 adjusted lines, 14 adjustments" in text
    assert "Re-checked with the claims as sent." in text
    assert "Claim D-97 ISA 000003001 · GS 3001 · ST 0001 · CLP at segment 18" in text
    rows = browser.find_elements(By.CSS_SELECTOR, "table.denials tbody tr")
    assert len(rows) == 14
    ptp = next(row for row in rows if "CO-97" in row.text and "PTP:93000/93010" in row.text)
    assert "reproduced" in ptp.text.lower() and "modifier indicator 1" in ptp.text
    assert "SVC at segment 27" in ptp.text
    assert any("ICD10CM:E11" in row.text for row in rows)
    shot(browser, "denials")
    target = downloads / "denials.csv"
    target.unlink(missing_ok=True)
    browser.find_element(By.ID, "download").click()
    WebDriverWait(browser, WAIT).until(lambda _: target.exists() and target.stat().st_size > 0)
    lines = target.read_text().splitlines()
    assert lines[0].startswith("claim_id,line,code,modifiers,units,date_of_service,group,carc,")
    assert len(lines) == 15 and any('"PTP:93000/93010"' in line for line in lines)


def test_em_calculator(browser: WebDriver, base_url: str) -> None:
    browser.get(f"{base_url}/#/em")
    visible(browser, "#em-form")
    Select(browser.find_element(By.ID, "patient")).select_by_visible_text("established")
    Select(browser.find_element(By.ID, "problems")).select_by_visible_text("moderate")
    Select(browser.find_element(By.ID, "data")).select_by_visible_text("limited")
    Select(browser.find_element(By.ID, "risk")).select_by_visible_text("moderate")
    browser.find_element(By.ID, "em-button").click()
    card = visible(browser, "#em-card")
    assert card.find_element(By.CSS_SELECTOR, ".big").text == "99214"
    shot(browser, "em-level")


def test_sources_table(browser: WebDriver, base_url: str, kb: KnowledgeBase) -> None:
    browser.get(f"{base_url}/#/sources")
    table = visible(browser, "#sources")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == len(kb.releases())
    assert "built" in browser.find_element(By.ID, "sources-table").text
    shot(browser, "sources")


def test_vault_page_with_backlinks(browser: WebDriver, base_url: str) -> None:
    browser.get(f"{base_url}/#/vault/cpt-codes")
    visible(browser, "#vault-page h1")
    backlinks = visible(browser, "#backlinks").find_elements(By.CSS_SELECTOR, "li a")
    assert backlinks
    shot(browser, "vault-cpt-codes")
    backlinks[0].click()
    WebDriverWait(browser, WAIT).until(lambda d: "cpt-codes" not in d.current_url)
    visible(browser, "#vault-page h1")


def test_keyboard_navigation(browser: WebDriver, base_url: str) -> None:
    browser.get(f"{base_url}/#/sources")
    visible(browser, "#sources")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("g", "c")
    visible(browser, "#code-input")
    browser.find_element(By.TAG_NAME, "h1").click()
    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.switch_to.active_element.get_attribute("id") == "q"
    )
