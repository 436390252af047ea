"""The console's pages in Chromium against the local run, in tr-TR and in en-US: a staff member
uploads a parts xlsx and sees its rows, views a label, downloads a label sheet and a ZIP, runs a
count session with a keyboard-wedge scan and downloads its report; an admin changes the
strategy and the limit and sees the audit rows; an error is the function's own message, in
the page's language. Texts come from the app's catalogs (web/src/i18n/*.js) and, for the
functions' messages, from the functions themselves, asked in each language over HTTP.

A screenshot of every page in each language goes to test-output/screenshots/pages/."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import SCREENSHOTS, LocalRun, fill

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")

LANGUAGES = [("tr-TR", "tr"), ("en-US", "en")]
# A Turkish part code and name: stored, listed and printed as typed (no case mapping).
PARTS = [("ŞAFT-İ1", "Şaft ıhlamur", 3), ("BOLT-10", "Bolt M10", 2)]
UNITS = sum(quantity for _, _, quantity in PARTS)
MONTHS = {"tr": ["Oca", "Şub", "Mar", "Nis", "May", "Haz", "Tem", "Ağu", "Eyl", "Eki", "Kas",
                 "Ara"],
          "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec"]}


def shot(page: Any, language: str, name: str) -> None:
    path = SCREENSHOTS / "pages" / f"{language}-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def parts_xlsx(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["part_code", "part_name", "quantity"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def function_error(run: LocalRun, token: str, path: str, language: str, *,
                   body: bytes, content_type: str) -> dict[str, Any]:
    """The error a function answers to this request when asked in `language`."""
    status, reply = run.post(path, body, token=token, content_type=content_type,
                             language=language)
    assert status >= 400, reply
    error: dict[str, Any] = reply["error"]
    return error


def part_row(page: Any, code: str) -> Any:
    return page.get_by_test_id("parts-table").locator(f'tr[data-part="{code}"]')


def cells(row: Any) -> list[str]:
    return [cell.strip() for cell in row.locator("th, td").all_inner_texts()]


def upload(page: Any, file: Path, *, confirm: bool = True) -> None:
    """Choose the file and upload it: the console checks it first (a dry run) and shows
    what it would do; `confirm` then sends it for real."""
    page.get_by_test_id("upload-file").set_input_files(str(file))
    expect(page.get_by_test_id("upload-file-name")).to_have_text(file.name)
    page.get_by_test_id("upload-submit").click()
    if confirm:
        page.get_by_test_id("upload-confirm").click()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_staff_labels_and_a_count_in_the_browsers_language(
        page, sign_in, catalogs, tmp_path, language: str) -> None:
    say = catalogs[language]
    sign_in(page, "alice")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("main h1")).to_have_text(say["labels.title"])

    # -- upload a parts xlsx: progress, the summary, then the rows with their counts --------
    # The file picker is the page's, in its language (the browser's own speaks the browser's).
    expect(page.get_by_test_id("upload-choose")).to_have_text(say["upload.choose"])
    expect(page.get_by_test_id("upload-file-name")).to_have_text(say["upload.noFile"])
    upload(page, parts_xlsx(tmp_path / "parts.xlsx", PARTS))
    expect(page.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
    expect(page.get_by_text(fill(say["upload.done"], parts=2, added=UNITS, existing=0))
           ).to_be_visible()
    for code, name, quantity in PARTS:
        expect(part_row(page, code)).to_be_visible()
        assert cells(part_row(page, code))[:6] == [code, name, str(quantity), "0", "0", "0"]
    expect(page.get_by_test_id("error-alert")).to_be_empty()
    shot(page, language, "labels")

    # -- view a label: the PNG of the part's first unit, drawn -------------------------------
    code, _, quantity = PARTS[0]
    part_row(page, code).get_by_test_id("label-view-part").click()
    image = page.get_by_test_id("label-image")
    expect(image).to_be_visible()
    qr_id = page.get_by_test_id("label-qr-id").input_value()
    assert qr_id
    expect(image).to_have_attribute("alt", fill(say["viewer.alt"], id=qr_id))
    assert image.evaluate("img => img.complete && img.naturalWidth") > 100

    # -- a label sheet in the layout picked: a PDF; its units count as printed --------------
    page.get_by_test_id("sheet-layout").select_option("herma-4677")
    with page.expect_download() as sheet:
        part_row(page, code).get_by_test_id("sheet-download").click()
    assert sheet.value.suggested_filename.endswith(".pdf")
    assert Path(sheet.value.path()).read_bytes().startswith(b"%PDF-")
    expect(part_row(page, code).locator("td").nth(2)).to_have_text(str(quantity))  # printed

    # -- the ZIP of the other part: one PNG per unit; they count as downloaded --------------
    other, _, other_quantity = PARTS[1]
    with page.expect_download() as archive:
        part_row(page, other).get_by_test_id("zip-download").click()
    with zipfile.ZipFile(archive.value.path()) as opened:
        assert len([n for n in opened.namelist() if n.endswith(".png")]) == other_quantity
    expect(part_row(page, other).locator("td").nth(3)).to_have_text(str(other_quantity))

    # -- a count: start, one wedge scan (type the id, press Enter), live found / missing ----
    page.get_by_test_id("nav-counting").click()
    expect(page.locator("main h1")).to_have_text(say["count.title"])
    shot(page, language, "counting")
    page.get_by_test_id("session-name").fill("Raf A")
    page.get_by_test_id("session-start").click()
    scan = page.get_by_test_id("scan-input")
    expect(scan).to_be_focused()  # ready for the scanner as soon as the count opens
    page.keyboard.type(qr_id)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("scan-results").locator("li").first).to_contain_text(
        say["scan.accepted"])
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    expect(page.get_by_test_id("count-missing")).to_have_text(str(UNITS - 1))
    expect(scan).to_have_value("")  # cleared for the next scan
    shot(page, language, "count-session")

    # -- finish, then the report: the unit scanned is found, the others missing -------------
    page.get_by_test_id("session-finish").click()
    page.get_by_test_id("session-finish-confirm").click()
    expect(page.get_by_test_id("session-state")).to_have_text(say["state.finished"])
    with page.expect_download() as report:
        page.get_by_test_id("report-csv").click()
    rows = list(csv.DictReader(io.StringIO(
        Path(report.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == UNITS
    assert {row["qr_id"]: row["status"] for row in rows}[qr_id] == "found"
    assert sorted(row["status"] for row in rows) == ["found"] + ["missing"] * (UNITS - 1)
    assert {row["part_code"] for row in rows} == {code for code, _, _ in PARTS}
    expect(page.get_by_test_id("error-alert")).to_be_empty()


# Chromium on Linux has no BarcodeDetector; this stand-in for the browser's detector reports
# the id put in window.__labelInView on the frames the page reads, as the real one does for a
# label held in front of the (fake) camera.
BARCODE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  constructor(options) { window.__detectorFormats = options.formats; }
  async detect(source) {
    if (!(source instanceof HTMLVideoElement) || !source.srcObject) return [];
    window.__framesRead = (window.__framesRead || 0) + 1;
    return window.__labelInView ? [{ rawValue: window.__labelInView, format: "qr_code" }] : [];
  }
};
"""


def test_the_camera_scans_where_the_browser_detects_qr_codes(page, sign_in, local_run,
                                                             id_token) -> None:
    start_with_parts(local_run, id_token("alice"), [("KAM-1", "Kamera", 2)])
    sign_in(page, "alice")
    page.get_by_test_id("nav-counting").click()
    page.get_by_test_id("session-name").fill("Kamera sayımı")
    page.get_by_test_id("session-start").click()
    # Without BarcodeDetector (Chromium on Linux) the camera is offered all the same: the
    # console's own WebAssembly reader (test_camera_wasm.py) reads for it.
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    expect(page.get_by_test_id("scan-camera")).to_be_visible()

    page.add_init_script(BARCODE_DETECTOR)
    page.reload()  # the open count comes back, now with the browser's own reader
    camera = page.get_by_test_id("scan-camera")
    expect(camera).to_be_visible()
    camera.click()
    page.wait_for_function("() => (window.__framesRead || 0) > 2")  # the camera is live
    assert page.evaluate("window.__detectorFormats") == ["qr_code"]
    qr_id = first_unit(local_run, id_token("alice"), "KAM-1")
    page.evaluate("id => { window.__labelInView = id; }", qr_id)
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    # Held in view for a second more: still one scan, not one per frame.
    page.wait_for_timeout(1000)
    page.evaluate("() => { window.__labelInView = ''; }")
    expect(page.get_by_test_id("scan-results").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("count-missing")).to_have_text("1")
    camera.click()  # stops it
    expect(page.locator("video")).to_be_hidden()


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_sheet_options_skip_not_printed_and_the_printer_shift(page, sign_in, local_run,
                                                              id_token, language: str) -> None:
    from pypdf import PdfReader

    from messages import Msg, render

    start_with_parts(local_run, id_token("alice"), [("SAYFA-1", "Sayfa", 3)])
    sign_in(page, "alice")
    page.get_by_test_id("sheet-layout").select_option("avery-l7160")  # 21 labels a sheet
    row = part_row(page, "SAYFA-1")

    def download() -> Path:
        with page.expect_download() as sheet:
            row.get_by_test_id("sheet-download").click()
        return Path(sheet.value.path())

    # 20 of 21 labels used on the first sheet: one label there, two on a second sheet.
    page.get_by_test_id("sheet-skip").fill("20")
    assert len(PdfReader(download()).pages) == 2
    expect(row.locator("td").nth(2)).to_have_text("3")  # printed

    # Only the units not printed yet: none left, and the function says so in Turkish.
    page.get_by_test_id("sheet-skip").fill("0")
    page.get_by_test_id("sheet-not-printed").check()
    row.get_by_test_id("sheet-download").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(
        render(Msg("qr.sheet.nothing_to_print"), language))
    page.get_by_test_id("sheet-not-printed").uncheck()

    # A skip the layout cannot take: the function's own limit, in the page's language.
    page.get_by_test_id("sheet-skip").fill("21")
    row.get_by_test_id("sheet-download").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(render(Msg(
        "qr.sheet.skip_too_large", per_page=21, layout="avery-l7160"), language))
    page.get_by_test_id("sheet-skip").fill("0")

    # The printer's shift is kept in this browser and sent with every sheet.
    page.get_by_test_id("sheet-shift").click()
    page.get_by_test_id("sheet-offset-x").fill("1.5")
    page.get_by_test_id("sheet-offset-x").dispatch_event("change")
    page.reload()
    expect(page.get_by_test_id("sheet-offset-x")).to_have_value("1.5")
    with page.expect_request(lambda r: "download_label_sheet" in r.url) as sent:
        assert len(PdfReader(download()).pages) == 1
    assert "offset_x_mm=1.5" in sent.value.url and "offset_y_mm" not in sent.value.url
    expect(page.get_by_test_id("error-alert")).to_be_empty()


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_units_taken_from_stock_by_scanning_their_labels(page, sign_in, local_run, id_token,
                                                         catalogs, language: str) -> None:
    from messages import Msg, render

    say = catalogs[language]
    start_with_parts(local_run, id_token("alice"), [("STOK-1", "Stok", 2)])
    qr_id = first_unit(local_run, id_token("alice"), "STOK-1")
    sign_in(page, "alice")
    row = part_row(page, "STOK-1")
    expect(row.locator("td").nth(4)).to_have_text("0")  # used
    # A wedge scanner types each id and Enter; the same label scanned twice counts once.
    page.get_by_test_id("used-ids").focus()
    page.keyboard.type(f"{qr_id}\n{qr_id}\n")
    page.get_by_test_id("used-reason").fill("Müşteriye satıldı")
    page.get_by_test_id("used-submit").click()
    expect(page.get_by_test_id("used-status")).to_have_text(fill(say["used.done"], marked=1))
    expect(row.locator("td").nth(4)).to_have_text("1")
    expect(page.get_by_test_id("used-ids")).to_have_value("")

    # Again: nothing new, and the console says the unit was used before.
    page.get_by_test_id("used-ids").fill(qr_id)
    page.get_by_test_id("used-submit").click()
    expect(page.get_by_test_id("used-status")).to_have_text(
        fill(say["used.done"], marked=0) + " " + fill(say["used.already"], count=1))

    # An id that is no label: refused whole, in the function's words.
    page.get_by_test_id("used-ids").fill("YOK-abcdefghjkmn")
    page.get_by_test_id("used-submit").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(
        render(Msg("qr.used.unknown_ids", ids="YOK-abcdefghjkmn"), language))
    expect(row.locator("td").nth(4)).to_have_text("1")


def start_with_parts(run: LocalRun, token: str, parts: list[tuple[str, str, int]]) -> None:
    run.upload_parts(token, [{"part_code": c, "part_name": n, "quantity": q}
                             for c, n, q in parts])


def first_unit(run: LocalRun, token: str, part_code: str) -> str:
    status, reply = run.call("list_parts", {"limit": 100}, token)
    assert status == 200, reply
    return str(next(p["first_qr_id"] for p in reply["result"]["parts"]
                    if p["part_code"] == part_code))


def open_a_count(page: Any, sign_in: Any, run: LocalRun, id_token: Any,
                 part: tuple[str, str, int], name: str) -> str:
    """A part with labels, alice signed in with a count of it open and its scan field
    focused: returns the part's first unit."""
    start_with_parts(run, id_token("alice"), [part])
    unit = first_unit(run, id_token("alice"), part[0])
    sign_in(page, "alice")
    page.get_by_test_id("nav-counting").click()
    page.get_by_test_id("session-name").fill(name)
    page.get_by_test_id("session-start").click()
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    return unit


def test_a_parts_list_dropped_on_the_upload_box_is_uploaded(page, sign_in, catalogs) -> None:
    sign_in(page, "alice")
    dropped = page.evaluate_handle(
        """csv => { const files = new DataTransfer();
                    files.items.add(new File([csv], "dropped.csv", {type: "text/csv"}));
                    return files; }""", "part_code,part_name,quantity\nDROP-1,Bırakılan,4\n")
    page.get_by_test_id("upload-choose").dispatch_event("drop", {"dataTransfer": dropped})
    expect(page.get_by_test_id("upload-file-name")).to_have_text("dropped.csv")
    expect(page.get_by_test_id("upload-choose")).to_be_focused()
    page.get_by_test_id("upload-submit").click()
    page.get_by_test_id("upload-confirm").click()
    expect(part_row(page, "DROP-1")).to_be_visible()
    assert cells(part_row(page, "DROP-1"))[:3] == ["DROP-1", "Bırakılan", "4"]
    expect(page.get_by_test_id("upload-file-name")).to_have_text(catalogs["en"]["upload.noFile"])


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_upload_error_is_the_functions_message_in_the_pages_language(
        page, sign_in, local_run, id_token, catalogs, tmp_path, language: str) -> None:
    say = catalogs[language]

    def asked(content: bytes) -> dict[str, dict[str, Any]]:
        answers = {lang: function_error(local_run, id_token("alice"), "upload_parts", lang,
                                        body=_multipart(content), content_type=_MULTIPART_TYPE)
                   for lang in ("tr", "en")}
        assert answers["tr"]["message"] != answers["en"]["message"]  # really two languages
        return answers

    # A file that is no parts list (no column it knows): the check before the upload is
    # refused whole, with the function's message.
    wrong = b"sku,title,count\nX-1,Thing,2\n"
    expected = asked(wrong)[language]
    sign_in(page, "alice")
    file = tmp_path / "parts.csv"
    file.write_bytes(wrong)
    upload(page, file, confirm=False)
    expect(page.get_by_test_id("error-alert")).to_have_text(expected["message"])
    expect(page.get_by_test_id("upload-preview")).to_be_hidden()

    # Rows the function refuses: the check shows each row's reason in the function's words
    # (the same a real upload would answer), and nothing can be confirmed.
    bad = b"part_code,part_name,quantity\nGOOD-1,Good,2\nbad code!,Bad,1\nGOOD-2,Good,-4\n"
    expected = asked(bad)[language]
    rows = expected["details"]["errors"]
    file.write_bytes(bad)
    upload(page, file, confirm=False)
    expect(page.get_by_test_id("error-alert")).to_be_empty()
    expect(page.get_by_test_id("upload-preview-refused")).to_have_text(
        fill(say["upload.preview.refused"], count=len(rows)))
    errors = page.get_by_test_id("upload-errors")
    expect(errors.locator("tbody tr")).to_have_count(len(rows))
    for shown, sent in zip(errors.locator("tbody tr").all(), rows, strict=True):
        expect(shown.locator("td").nth(0)).to_have_text(str(sent["row"]))
        expect(shown.locator("td").nth(2)).to_have_text(sent["reason"])
    expect(page.get_by_test_id("upload-confirm")).to_be_hidden()
    # Nothing was half-imported: the list is still empty.
    expect(page.get_by_test_id("parts-empty")).to_be_visible()
    shot(page, language, "labels-upload-error")


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_callable_error_is_the_functions_message_in_the_pages_language(
        page, sign_in, local_run, id_token, language: str) -> None:
    data = {"name": "Raf B", "part_codes": ["YOK-1"]}
    asked = {}
    for lang in ("tr", "en"):
        status, reply = local_run.call("start_count_session", {**data, "locale": lang},
                                       id_token("alice"))
        assert status >= 400, reply
        asked[lang] = reply["error"]["message"]
    assert asked["tr"] != asked["en"]
    sign_in(page, "alice")
    page.get_by_test_id("nav-counting").click()
    page.get_by_test_id("session-name").fill(data["name"])
    page.get_by_test_id("session-parts").fill("YOK-1")
    page.get_by_test_id("session-start").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(asked[language])


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_admin_changes_the_strategy_and_the_limit_and_sees_the_audit_rows(
        page, sign_in, catalogs, language: str) -> None:
    say = catalogs[language]
    sign_in(page, "root")
    page.get_by_test_id("nav-vision").click()
    expect(page.locator("main h1")).to_have_text(say["vision.title"])
    expect(page.get_by_test_id("audit-table")).to_have_text(say["audit.none"])
    strategies = page.get_by_test_id("vision-strategy")
    expect(strategies.get_by_label(say["strategy.warn"], exact=True)).to_be_checked()

    strategies.get_by_label(say["strategy.deny"], exact=True).check()
    page.get_by_test_id("vision-strategy-save").click()
    audit = page.get_by_test_id("audit-table")
    first = audit.locator("tbody tr").first
    expect(first).to_contain_text("root@example.com")
    expect(first).to_contain_text(say["audit.action.set_vision_fallback_strategy"])
    expect(first).to_contain_text("warn → deny")
    # The time in the locale's words: "1 Ara 2026" in Turkish, "Dec 1, 2026" in English.
    now = datetime.now(UTC)
    month = MONTHS[language][now.month - 1]
    expect(first.locator("td").first).to_contain_text(
        f"{now.day} {month} {now.year}" if language == "tr" else f"{month} {now.day}, {now.year}")

    # A limit in the locale's digits: 12.500 in Turkish, 12,500 in English.
    page.get_by_test_id("vision-limit").fill("12500")
    page.get_by_test_id("vision-limit-save").click()
    grouped = {"tr": "12.500", "en": "12,500"}[language]
    expect(page.get_by_test_id("vision-gauge")).to_contain_text(grouped)
    expect(audit.locator("tbody tr")).to_have_count(2)
    expect(audit.locator("tbody tr").first).to_contain_text(
        say["audit.action.set_vision_monthly_limit"])
    shot(page, language, "vision")

    # After a reload the page shows what is stored, not what was clicked.
    page.reload()
    expect(page.get_by_test_id("vision-strategy").get_by_label(
        say["strategy.deny"], exact=True)).to_be_checked()
    expect(page.get_by_test_id("vision-limit")).to_have_value("12500")
    expect(page.get_by_test_id("error-alert")).to_be_empty()


def seed_document(run: LocalRun, collection: str, doc_id: str, fields: dict[str, Any]) -> None:
    """A document written straight into the run's Firestore emulator (as the owner, past the
    rules): what a trigger the local run cannot receive (a Pub/Sub budget alert) leaves."""
    def typed(value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"booleanValue": value}
        if isinstance(value, int):
            return {"integerValue": str(value)}
        if isinstance(value, float):
            return {"doubleValue": value}
        if isinstance(value, datetime):
            return {"timestampValue": value.isoformat().replace("+00:00", "Z")}
        return {"stringValue": str(value)}

    url = (f"http://{run.firestore}/v1/projects/{run.project}/databases/(default)/documents/"
           f"{collection}?documentId={doc_id}")
    body = json.dumps({"fields": {k: typed(v) for k, v in fields.items()}}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": "Bearer owner", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_notifications_are_written_in_the_pages_language(page, sign_in, local_run,
                                                            catalogs, language: str) -> None:
    say = catalogs[language]
    now = datetime.now(UTC)
    seed_document(local_run, "admin_notifications", "quota-1", {
        "kind": "vision_quota", "level": 80, "monthKey": "2026_12", "usage": 8000,
        "limit": 10000, "at": now, "read": False})
    seed_document(local_run, "admin_notifications", "budget-1", {
        "kind": "vision_budget", "event": "vision_switched_off", "budgetName": "Vision aylık",
        "costAmount": 1250.5, "budgetAmount": 1000.0, "currencyCode": "TRY", "at": now,
        "read": False})
    sign_in(page, "root")
    page.goto("/#/vision")
    notices = page.get_by_test_id("notifications-list").locator("li")
    expect(notices).to_have_count(2)
    grouped = {"tr": ("8.000", "10.000", "1.250,50"), "en": ("8,000", "10,000", "1,250.50")}
    usage, limit, cost = grouped[language]
    quota = notices.filter(has_text="2026_12")
    expect(quota).to_contain_text(fill(say["notice.quota"], level=80, month="2026_12",
                                       usage=usage, limit=limit))
    budget = notices.filter(has_text="Vision aylık")
    # The sentence's own words after its last placeholder ("... Vision kapatıldı.").
    expect(budget).to_contain_text(
        re.split(r"\{\w+\}", say["notice.budget.vision_switched_off"])[-1].strip())
    expect(budget).to_contain_text(cost)
    expect(budget).to_contain_text("₺" if language == "tr" else "TRY")


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_reset_needs_the_typed_confirmation_word(page, sign_in, catalogs,
                                                 language: str) -> None:
    say = catalogs[language]
    sign_in(page, "root")
    page.goto("/#/vision")
    reset = page.get_by_test_id("vision-reset")
    expect(reset).to_be_disabled()
    page.get_by_test_id("vision-reset-confirm").fill("yes")
    expect(reset).to_be_disabled()
    page.get_by_test_id("vision-reset-confirm").fill(say["vision.reset.word"])
    expect(reset).to_be_enabled()
    reset.click()
    expect(page.get_by_test_id("audit-table").locator("tbody tr").first).to_contain_text(
        say["audit.action.reset_vision_quota"])


_BOUNDARY = "console-test-boundary"
_MULTIPART_TYPE = f"multipart/form-data; boundary={_BOUNDARY}"


def _multipart(content: bytes) -> bytes:
    return (f"--{_BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"parts.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() \
        + content + f"\r\n--{_BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_shared_phones_waiting_scans_go_out_only_as_who_scanned_them(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    unit = open_a_count(page, sign_in, local_run, id_token, ("SIRA-1", "Sıra", 2),
                        "Paylaşılan telefon")
    status, listed = local_run.call("list_count_sessions", {}, id_token("alice"))
    assert status == 200, listed
    session = listed["result"]["sessions"][0]["session_id"]

    # Offline, alice scans a unit and a label nobody made; they wait on the phone.
    page.context.set_offline(True)
    for text in (unit, "KAYIP-aaaaaaaaaaaa"):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("scan-results").locator("li").first).to_contain_text(
        say["scan.pending"])
    page.get_by_test_id("signout").click()
    expect(page.locator("main h1")).to_have_text(say["signin.title"])
    page.context.set_offline(False)

    # root signs in on the same phone: told that someone's scans wait, never sends them,
    # and does not find alice's count open.
    sign_in(page, "root")
    page.get_by_test_id("nav-counting").click()
    expect(page.get_by_test_id("others-waiting")).to_have_text(
        fill(say["queue.others"], count="2"))
    expect(page.get_by_test_id("session-name")).to_be_visible()
    page.wait_for_timeout(1500)  # a send would have gone out by now
    status, live = local_run.call("count_session_live", {"session_id": session},
                                  id_token("alice"))
    assert status == 200 and live["result"]["totals"]["found"] == 0, live
    assert live["result"]["recent"] == []

    # alice again: her count reopens and her scans go out as hers.
    page.get_by_test_id("signout").click()
    expect(page.locator("main h1")).to_have_text(say["signin.title"])
    sign_in(page, "alice")
    page.get_by_test_id("nav-counting").click()
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    expect(page.get_by_test_id("count-unexpected")).to_have_text("1")
    expect(page.get_by_test_id("others-waiting")).to_be_hidden()
    status, live = local_run.call("count_session_live", {"session_id": session},
                                  id_token("alice"))
    assert {r["by"] for r in live["result"]["recent"]} == {"alice"}
    # The row of labels nobody made is named in the page's language.
    expect(page.get_by_test_id("count-parts").locator("tbody th").first).to_have_text(
        say["count.unknownPart"])


# Records the tones the page plays (through the real Web Audio) and the vibrations it asks.
RECORD_FEEDBACK = """
window.__tones = []; window.__vibrations = [];
const create = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const tone = create.call(this);
  const start = tone.start.bind(tone);
  tone.start = (at) => { window.__tones.push(tone.frequency.value); start(at); };
  return tone;
};
navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };
"""


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_each_answer_sounds_and_vibrates_its_own_way_unless_switched_off(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    page.add_init_script(RECORD_FEEDBACK)
    unit = open_a_count(page, sign_in, local_run, id_token, ("SES-1", "Ses", 2), "Sesli sayım")
    toggle = page.get_by_test_id("feedback-toggle")
    expect(toggle).to_be_checked()
    expect(page.get_by_text(say["feedback.toggle"])).to_be_visible()

    def scan(text: str) -> None:
        page.get_by_test_id("scan-input").fill(text)
        page.keyboard.press("Enter")

    def heard(count: int) -> list[Any]:
        page.wait_for_function(f"() => window.__vibrations.length >= {count}")
        return list(page.evaluate("[window.__tones, window.__vibrations]"))

    scan(unit)
    assert heard(1) == [[880], [[40]]]
    scan(unit)
    assert heard(2) == [[880, 660, 660], [[40], [40, 60, 40]]]
    scan("YOK-aaaaaaaaaaaa")
    assert heard(3) == [[880, 660, 660, 220], [[40], [40, 60, 40], [250]]]

    toggle.uncheck()
    scan(unit)
    expect(page.get_by_test_id("scan-results").locator("li")).to_have_count(4)
    expect(page.get_by_test_id("scan-results").locator("li").first).to_contain_text(
        say["scan.duplicate"])
    assert page.evaluate("window.__vibrations.length") == 3  # silent now
    page.reload()
    expect(page.get_by_test_id("feedback-toggle")).not_to_be_checked()  # remembered


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_on_a_phone_the_scan_field_and_the_counts_come_first_and_the_header_is_a_menu(
        browser, local_run, catalogs, locale: str, language: str) -> None:
    from tests.browser.harness import accounts

    say = catalogs[language]
    context = browser.new_context(locale=locale, base_url=local_run.base,
                                  viewport={"width": 360, "height": 740}, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/")
        alice = accounts()["alice"]
        page.get_by_test_id("signin-email").fill(alice.email)
        page.get_by_test_id("signin-password").fill(alice.password)
        page.get_by_test_id("signin-submit").click()
        menu = page.get_by_test_id("menu-toggle")
        expect(menu).to_have_text(say["menu.label"])
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_test_id("nav-counting")).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        page.get_by_test_id("nav-counting").click()
        expect(page.get_by_test_id("nav-counting")).to_be_hidden()  # folded again
        page.get_by_test_id("session-name").fill("Telefon")
        page.get_by_test_id("session-start").click()
        expect(page.get_by_test_id("scan-input")).to_be_focused()
        # Without scrolling: the scan field and all four counts are on the screen.
        for testid in ("scan-input", "count-expected", "count-found", "count-missing",
                       "count-unexpected"):
            box = page.get_by_test_id(testid).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740, \
                (testid, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(SCREENSHOTS / "pages" / f"{language}-phone-counting.png"))
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_console_starts_offline_shows_the_open_count_and_sends_its_scans_later(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    first = open_a_count(page, sign_in, local_run, id_token, ("DEPO-1", "Depo", 3),
                         "Çevrimdışı")
    # Installable: a manifest with its icons, and a service worker keeping the console.
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href)"
                             ".then((r) => r.json())")
    assert manifest["start_url"] == "/" and {i["sizes"] for i in manifest["icons"]} == {
        "192x192", "512x512"}
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    status, sessions = local_run.call("list_count_sessions", {}, id_token("alice"))
    session = sessions["result"]["sessions"][0]["session_id"]

    # No network at all: the console opens from the device, with the open count.
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    expect(page.locator("main h2")).to_have_text(fill(say["count.session"], name="Çevrimdışı"))
    for text in (first, first, "YOK-cccccccccccc"):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("scan-results").locator("li")).to_have_count(3)
    expect(page.get_by_test_id("scan-results").locator("li").first).to_contain_text(
        say["scan.pending"])

    # The network is back: the scans go out and each counts once.
    page.context.set_offline(False)
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    expect(page.get_by_test_id("count-unexpected")).to_have_text("1")
    status, live = local_run.call("count_session_live", {"session_id": session},
                                  id_token("alice"))
    assert status == 200, live
    assert live["result"]["totals"]["found"] == 1
    assert sorted(r["result"] for r in live["result"]["recent"]) == [
        "accepted", "duplicate", "unexpected"]
