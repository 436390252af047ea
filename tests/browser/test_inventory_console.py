"""The Labels page's stock work in Chromium against the local run, in tr-TR and en-US: the
parts with what is available and their minimums, a minimum set in place and a part gone
below it marked "Low" / "Az" and kept by the low-only filter; a unit's life in the label
viewer (printed, counted, taken from stock, and an old record's prints not itemised) after
typing its id as a scanner does, or reading it with the camera; the inventory exported as
xlsx and CSV with headers in the page's language; and an upload checked by a dry run
(shown, nothing written) before it is confirmed, refused rows shown with no way to confirm.

Texts come from the app's catalogs (web/src/i18n/*.js) and, for what the functions say,
from the functions themselves (their messages, their export headers)."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import SCREENSHOTS, LocalRun, fill
from tests.browser.test_accessibility import assert_fits_a_phone, check_page
from tests.browser.test_console_pages import (
    BARCODE_DETECTOR,
    MONTHS,
    cells,
    function_error,
    part_row,
    shot,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")

LANGUAGES = [("tr-TR", "tr"), ("en-US", "en")]
# The columns of the parts table, as test_console_pages reads them (th, then td).
AVAILABLE, MINIMUM = 6, 7


def upload(run: LocalRun, token: str, parts: list[tuple[str, str, int]]) -> dict[str, list[str]]:
    """Parts with labels, through upload_parts: each part's qr_ids, in order."""
    reply = run.upload_parts(token, [{"part_code": c, "part_name": n, "quantity": q}
                                     for c, n, q in parts])
    ids: dict[str, list[str]] = {}
    offset = 0
    for detail in reply["summary"]["details"]:
        ids[detail["part_code"]] = reply["qr_ids"][offset:offset + detail["added"]]
        offset += detail["added"]
    return ids


def called(run: LocalRun, name: str, data: dict[str, Any], token: str) -> dict[str, Any]:
    status, reply = run.call(name, data, token)
    assert status == 200, reply
    result: dict[str, Any] = reply["result"]
    return result


def listed(run: LocalRun, token: str, **data: Any) -> dict[str, dict[str, Any]]:
    """list_parts as the function answers it: part_code -> row."""
    reply = called(run, "list_parts", {"limit": 100, **data}, token)
    return {part["part_code"]: part for part in reply["parts"]}


def refresh(page: Any, say: dict[str, str]) -> None:
    page.get_by_role("button", name=say["parts.refresh"], exact=True).click()


def callable_body(request: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(request.post_data or "{}")["data"]
    return data


# -- stock and minimums -----------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_staff_are_told_how_many_parts_are_low_and_can_list_them(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    upload(local_run, token, [("AZ-1", "Az 1", 1), ("AZ-2", "Az 2", 1), ("BOL-3", "Bol", 5)])
    sign_in(page, "alice")
    alert = page.get_by_test_id("low-stock-alert")
    expect(page.get_by_test_id("parts-table")).to_be_visible()
    expect(alert).to_be_hidden()  # nothing low: no notice
    for code in ("AZ-1", "AZ-2"):
        called(local_run, "set_part_minimum", {"part_code": code, "min_units": 3}, token)
    refresh(page, say)
    expect(alert).to_have_text(
        say["parts.lowAlert.other"].replace("{count}", "2") + " " + say["parts.lowAlert.show"])
    page.get_by_test_id("low-stock-show").click()
    expect(page.get_by_test_id("parts-low-only")).to_be_checked()
    expect(page.locator("[data-testid=parts-table] tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("low-stock-show")).to_be_hidden()
    called(local_run, "set_part_minimum", {"part_code": "AZ-2", "min_units": None}, token)
    refresh(page, say)
    expect(alert).to_contain_text(say["parts.lowAlert.one"])
    shot(page, language, "low-stock-alert")


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_minimum_set_in_place_marks_a_part_low_and_the_filter_keeps_it(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    ids = upload(local_run, token, [("SOMUN-1", "Somun", 3), ("PUL-2", "Pul", 2)])
    sign_in(page, "alice")
    nut, washer = part_row(page, "SOMUN-1"), part_row(page, "PUL-2")
    expect(nut).to_be_visible()
    # Available and Minimum come after Used: the columns before them stay where they were.
    headers = page.get_by_test_id("parts-table").locator("thead th").all_inner_texts()
    assert headers[AVAILABLE] == say["parts.available"]
    assert headers[MINIMUM] == say["parts.minimum"]
    assert cells(nut)[:AVAILABLE + 1] == ["SOMUN-1", "Somun", "3", "0", "0", "0", "3"]
    expect(nut.get_by_test_id("part-min")).to_have_text(say["minimum.none"])
    expect(page.get_by_test_id("part-low")).to_have_count(0)

    # A minimum of 2, typed in the row's own small form (Enter saves it).
    nut.get_by_test_id("min-edit").click()
    expect(nut.get_by_test_id("min-input")).to_be_focused()
    nut.get_by_test_id("min-input").fill("2")
    with page.expect_request(lambda r: r.url.endswith("/set_part_minimum")) as sent:
        nut.get_by_test_id("min-input").press("Enter")
    assert callable_body(sent.value) == {"part_code": "SOMUN-1", "min_units": 2,
                                         "locale": language}
    expect(page.get_by_test_id("parts-status")).to_have_text(
        fill(say["minimum.saved"], code="SOMUN-1", min=2))
    expect(nut.get_by_test_id("part-min")).to_have_text("2")
    expect(nut.get_by_test_id("min-edit")).to_be_focused()  # back where the person was
    expect(nut.get_by_test_id("part-low")).to_have_count(0)  # 3 available, not below 2
    assert listed(local_run, token)["SOMUN-1"]["min_units"] == 2

    # Two units leave the stock (another person, another screen): 1 left, below 2.
    called(local_run, "mark_units_used",
           {"qr_ids": ids["SOMUN-1"][:2], "reason": "Montaj hattı"}, token)
    refresh(page, say)
    expect(nut.get_by_test_id("part-available")).to_have_text("1")
    low = nut.get_by_test_id("part-low")
    expect(low).to_be_visible()
    # The word, not a colour alone; a screen reader hears what it means.
    expect(low).to_have_text(say["parts.low"] + say["parts.low.sr"])
    expect(low).to_have_class("badge low")
    expect(nut).to_have_attribute("data-low", "true")
    expect(washer.get_by_test_id("part-low")).to_have_count(0)
    shot(page, language, "labels-low-stock")

    # A minimum above what the part has: low at once, and the function raised the alert.
    washer.get_by_test_id("min-edit").click()
    washer.get_by_test_id("min-input").fill("5")
    washer.get_by_test_id("min-save").click()
    expect(page.get_by_test_id("parts-status")).to_have_text(
        fill(say["minimum.saved"], code="PUL-2", min=5) + " "
        + fill(say["minimum.low"], code="PUL-2", available=2) + " " + say["minimum.alerted"])
    expect(washer.get_by_test_id("part-low")).to_be_visible()

    # A minimum the function refuses: its message, in the page's language; nothing saved.
    washer.get_by_test_id("min-edit").click()
    washer.get_by_test_id("min-input").fill("-1")
    washer.get_by_test_id("min-save").click()
    status, refused = local_run.call("set_part_minimum", {"part_code": "PUL-2", "min_units": -1,
                                                          "locale": language}, token)
    assert status == 400, refused
    expect(page.get_by_test_id("error-alert")).to_have_text(refused["error"]["message"])
    expect(washer.get_by_test_id("min-input")).to_be_focused()
    washer.get_by_test_id("min-cancel").click()
    expect(washer.get_by_test_id("part-min")).to_have_text("5")
    assert listed(local_run, token)["PUL-2"]["min_units"] == 5

    # Low stock only: the filter is sent to list_parts, and only low parts are listed.
    with page.expect_request(lambda r: r.url.endswith("/list_parts")) as asked:
        page.get_by_test_id("parts-low-only").check()
    assert callable_body(asked.value) | {"locale": None} == {"limit": 50, "below_minimum": True,
                                                          "locale": None}
    rows = page.get_by_test_id("parts-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    # PUL-2's minimum removed: no longer low, so no longer in the filtered list.
    washer.get_by_test_id("min-edit").click()
    washer.get_by_test_id("min-clear").click()
    expect(page.get_by_test_id("parts-status")).to_have_text(
        fill(say["minimum.removed"], code="PUL-2"))
    expect(rows).to_have_count(1)
    expect(part_row(page, "SOMUN-1")).to_be_visible()
    assert set(listed(local_run, token, below_minimum=True)) == {"SOMUN-1"}
    # SOMUN-1's minimum lowered to what it has: nothing is low, and the page says so.
    nut.get_by_test_id("min-edit").click()
    nut.get_by_test_id("min-input").fill("1")
    nut.get_by_test_id("min-input").press("Enter")
    expect(page.get_by_test_id("parts-empty")).to_have_text(say["parts.emptyLow"])
    page.get_by_test_id("parts-low-only").uncheck()
    expect(rows).to_have_count(2)
    expect(part_row(page, "PUL-2").get_by_test_id("part-min")).to_have_text(say["minimum.none"])
    expect(part_row(page, "SOMUN-1").get_by_test_id("part-min")).to_have_text("1")
    expect(page.get_by_test_id("error-alert")).to_be_empty()


# -- a unit's life -------------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_viewer_shows_a_units_life_after_a_print_and_its_use(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    first, second = upload(local_run, token, [("HAYAT-1", "Hayat döngüsü", 2)])["HAYAT-1"]
    sign_in(page, "alice")
    row = part_row(page, "HAYAT-1")
    page.get_by_test_id("sheet-layout").select_option("herma-4677")
    with page.expect_download():
        row.get_by_test_id("sheet-download").click()
    expect(row.locator("td").nth(2)).to_have_text("2")  # printed
    called(local_run, "mark_units_used", {"qr_ids": [first], "reason": "Müşteriye satıldı"},
           token)

    # A scanner types the id into the viewer's field and presses Enter.
    page.get_by_test_id("label-qr-id").focus()
    page.keyboard.type(first)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("label-image")).to_be_visible()
    expect(page.get_by_test_id("viewer-status")).to_have_text(
        fill(say["viewer.shownUnit"], id=first))
    expect(page.get_by_test_id("unit-part-code")).to_have_text("HAYAT-1")
    expect(page.get_by_test_id("unit-part-name")).to_have_text("Hayat döngüsü")
    state = page.get_by_test_id("unit-state")
    expect(state).to_have_text(say["unit.used"])
    expect(state).to_have_attribute("data-used", "true")

    events = page.get_by_test_id("unit-events")
    expect(events.locator("li[data-kind=used]")).to_have_count(1)
    assert events.evaluate("el => el.tagName") == "OL"
    kinds = [li.get_attribute("data-kind") for li in events.locator("li").all()]
    assert kinds[0] == "created", kinds
    assert kinds[-1] == "used", kinds
    assert kinds.count("printed") == 1, kinds
    assert kinds.index("printed") < kinds.index("used")
    assert set(kinds) <= {"created", "stored", "printed", "downloaded", "counted", "used"}

    printed = events.locator("li[data-kind=printed]")
    expect(printed.locator(".event-kind")).to_have_text(say["unit.kind.printed"])
    expect(printed).to_contain_text(fill(say["unit.detail.layout"],
                                         layout=say["layout.herma-4677"]))
    expect(printed).to_contain_text(fill(say["unit.by"], who="alice"))
    used = events.locator("li[data-kind=used]")
    expect(used.locator(".event-kind")).to_have_text(say["unit.kind.used"])
    expect(used).to_contain_text(fill(say["unit.detail.reason"], reason="Müşteriye satıldı"))
    expect(used).to_contain_text(fill(say["unit.by"], who="alice"))
    # When: the function's ISO time, written out in the page's language.
    when = used.locator("time")
    at = datetime.fromisoformat(str(when.get_attribute("datetime")).replace("Z", "+00:00"))
    assert at.tzinfo is not None
    expect(when).to_contain_text(str(at.year))
    expect(when).to_contain_text(MONTHS[language][at.astimezone().month - 1])
    shot(page, language, "labels-unit-life")
    check_page(page, "labels page showing a unit's life")

    # The other unit is in stock; taken from stock on this page, its view follows.
    page.get_by_test_id("label-qr-id").fill(second)
    page.get_by_test_id("label-show").click()
    expect(page.get_by_test_id("unit-state")).to_have_text(say["unit.inStock"])
    expect(page.get_by_test_id("unit-events").locator("li[data-kind=used]")).to_have_count(0)
    page.get_by_test_id("used-ids").fill(second)
    page.get_by_test_id("used-reason").fill("Fire")
    page.get_by_test_id("used-submit").click()
    expect(page.get_by_test_id("unit-state")).to_have_text(say["unit.used"])
    expect(page.get_by_test_id("unit-events").locator("li[data-kind=used]")).to_contain_text(
        fill(say["unit.detail.reason"], reason="Fire"))

    # An id that is no label: the function's own message, and no history left on screen.
    page.get_by_test_id("label-qr-id").fill("YOK-abcdefghjkmn")
    page.get_by_test_id("label-qr-id").press("Enter")
    expect(page.get_by_test_id("error-alert")).not_to_be_empty()
    expect(page.get_by_test_id("unit-view")).to_be_hidden()


def make_an_old_record(run: LocalRun, qr_id: str, *, prints: int, downloads: int,
                       printed_at: str) -> None:
    """The unit's document as a record from before the history was kept: how many prints
    and downloads, the last print's time, no itemised events (the Firestore emulator's REST
    API, as its owner)."""
    fields = {"print_count": {"integerValue": str(prints)},
              "download_count": {"integerValue": str(downloads)},
              "printed_at": {"timestampValue": printed_at}}
    mask = "&".join(f"updateMask.fieldPaths={name}"
                    for name in (*fields, "events", "downloaded_at"))
    url = (f"http://{run.firestore}/v1/projects/{run.project}/databases/(default)/documents"
           f"/qr_codes/{qr_id}?{mask}")
    request = urllib.request.Request(url, method="PATCH", data=json.dumps(
        {"fields": fields}).encode(), headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer owner"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_viewer_shows_a_count_and_an_old_records_prints_not_itemised(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    (qr_id,) = upload(local_run, token, [("ESKİ-1", "Eski kayıt", 1)])["ESKİ-1"]
    session = called(local_run, "start_count_session",
                     {"name": "Raf Eski", "part_codes": ["ESKİ-1"]}, token)["session_id"]
    called(local_run, "record_scans", {"session_id": session, "scans": [
        {"qr_id": qr_id, "client_scan_id": str(uuid.uuid4()),
         "scanned_at": int(time.time() * 1000)}]}, token)
    make_an_old_record(local_run, qr_id, prints=3, downloads=2,
                       printed_at="2024-03-05T09:30:00Z")
    sign_in(page, "alice")
    page.get_by_test_id("label-qr-id").fill(qr_id)
    page.get_by_test_id("label-qr-id").press("Enter")
    events = page.get_by_test_id("unit-events")
    expect(events.locator("li[data-kind=counted]")).to_contain_text(
        fill(say["unit.detail.session"], name="Raf Eski"))
    expect(events.locator("li[data-kind=counted] .event-kind")).to_have_text(
        say["unit.kind.counted"])
    printed = events.locator("li[data-kind=printed]")
    expect(printed).to_contain_text(fill(say["unit.earlier.printed"], count=3))
    # The last print's time is known; when the downloads were is not.
    expect(printed.locator("time")).to_be_visible()
    assert datetime.fromisoformat(str(printed.locator("time").get_attribute("datetime"))
                                  .replace("Z", "+00:00")) == datetime.fromisoformat(
        "2024-03-05T09:30:00+00:00")
    expect(printed.locator("time")).to_contain_text("2024")
    expect(printed.locator("time")).to_contain_text(MONTHS[language][2])
    downloaded = events.locator("li[data-kind=downloaded]")
    expect(downloaded).to_contain_text(fill(say["unit.earlier.downloaded"], count=2))
    expect(downloaded).to_contain_text(say["unit.at.unknown"])
    expect(downloaded.locator("time")).to_have_count(0)
    kinds = [li.get_attribute("data-kind") for li in events.locator("li").all()]
    assert kinds.index("created") < kinds.index("counted"), kinds
    expect(page.get_by_test_id("unit-state")).to_have_text(say["unit.inStock"])
    expect(page.get_by_test_id("error-alert")).to_be_empty()


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_a_label_read_by_the_camera_outside_a_count_opens_its_unit(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    (qr_id,) = upload(local_run, id_token("alice"), [("KAMERA-1", "Kamera", 1)])["KAMERA-1"]
    page.add_init_script(BARCODE_DETECTOR)  # the browser's reader, fed what is "in view"
    sign_in(page, "alice")
    camera = page.get_by_test_id("viewer-camera")
    expect(camera).to_have_text(say["viewer.camera"])
    camera.click()
    page.wait_for_function("() => (window.__framesRead || 0) > 2")  # the camera is live
    page.evaluate("id => { window.__labelInView = id; }", qr_id)
    expect(page.get_by_test_id("label-qr-id")).to_have_value(qr_id)
    expect(page.get_by_test_id("unit-part-code")).to_have_text("KAMERA-1")
    expect(page.get_by_test_id("unit-state")).to_have_text(say["unit.inStock"])
    expect(page.get_by_test_id("unit-events").locator("li").first).to_have_attribute(
        "data-kind", "created")
    expect(page.get_by_test_id("label-image")).to_be_visible()
    # One label read, the camera stops by itself.
    expect(page.locator("video")).to_be_hidden()
    expect(camera).to_have_text(say["viewer.camera"])
    # Nothing was counted: no count is open, and this is not one.
    assert called(local_run, "list_count_sessions", {"limit": 5},
                  id_token("alice"))["sessions"] == []


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_admin_reads_the_low_stock_notice_in_the_pages_language(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    upload(local_run, token, [("UYARI-1", "Uyarı parçası", 2)])
    raised = called(local_run, "set_part_minimum", {"part_code": "UYARI-1", "min_units": 3},
                    token)
    assert raised["alert_raised"] is True and raised["below_minimum"] is True
    sign_in(page, "root")
    page.get_by_test_id("nav-vision").click()
    expect(page.get_by_test_id("notifications-list").locator("li.notice-low_stock")
           ).to_contain_text(fill(say["notice.lowStock"], code="UYARI-1", name="Uyarı parçası",
                                  available=2, min=3))


# -- export ----------------------------------------------------------------------------------------

def export_columns(scope: str) -> list[Any]:
    """The export's columns as the function defines them (key, and header by language)."""
    from qr.inventory_sheet import PARTS_COLUMNS, UNITS_COLUMNS

    return list(PARTS_COLUMNS if scope == "parts" else UNITS_COLUMNS)


def read_csv(path: Path) -> list[list[Any]]:
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def read_xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    # (A download's path has no extension, which openpyxl wants: read it from memory.)
    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def table_of(rows: list[list[Any]], keys: list[str]) -> dict[str, dict[str, str]]:
    """The data rows by their first cell, as {key: text} (a row's empty cells at its end
    may be left out of the file)."""
    return {as_text(row[0]): {key: as_text(row[i]) if i < len(row) else ""
                              for i, key in enumerate(keys)} for row in rows[1:]}


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_inventory_exports_as_excel_and_csv_in_the_pages_language(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    ids = upload(local_run, token, [("DIŞA-1", "Dışa aktarım", 3), ("AKTAR-2", "Aktar", 1)])
    called(local_run, "set_part_minimum", {"part_code": "DIŞA-1", "min_units": 4}, token)
    called(local_run, "mark_units_used", {"qr_ids": [ids["DIŞA-1"][0]], "reason": "Satış"},
           token)
    sign_in(page, "alice")
    expect(part_row(page, "DIŞA-1")).to_be_visible()
    downloads: dict[tuple[str, str], Path] = {}
    for scope in ("parts", "units"):
        for format_ in ("xlsx", "csv"):
            button = page.get_by_test_id(f"export-{scope}-{format_}")
            expect(button).to_have_text(say[f"export.{scope}.{format_}"])
            with page.expect_request(lambda r: "/export_inventory" in r.url) as asked, \
                    page.expect_download() as saved:
                button.click()
            assert asked.value.headers.get("accept-language") == language
            assert f"format={format_}" in asked.value.url and f"scope={scope}" in asked.value.url
            assert saved.value.suggested_filename.endswith(f".{format_}")
            downloads[(scope, format_)] = Path(saved.value.path())
            expect(page.get_by_test_id("export-status")).to_have_text(
                fill(say["download.done"], name=saved.value.suggested_filename))
    expect(page.get_by_test_id("error-alert")).to_be_empty()

    part_columns, unit_columns = export_columns("parts"), export_columns("units")
    assert [c.header("tr") for c in part_columns] != [c.header("en") for c in part_columns]
    for format_, reader in (("xlsx", read_xlsx), ("csv", read_csv)):
        rows = reader(downloads[("parts", format_)])
        assert [as_text(v) for v in rows[0]] == [c.header(language) for c in part_columns], (
            format_, rows[0])
        by_code = table_of(rows, [c.key for c in part_columns])
        assert set(by_code) == {"DIŞA-1", "AKTAR-2"}
        part = by_code["DIŞA-1"]
        assert (part["part_name"], part["units"], part["available"], part["used"],
                part["min_units"]) == ("Dışa aktarım", "3", "2", "1", "4"), (format_, part)
        assert by_code["AKTAR-2"]["min_units"] == ""

        units = reader(downloads[("units", format_)])
        assert [as_text(v) for v in units[0]] == [c.header(language) for c in unit_columns], (
            format_, units[0])
        by_id = table_of(units, [c.key for c in unit_columns])
        assert set(by_id) == set(ids["DIŞA-1"]) | set(ids["AKTAR-2"])
        other = by_id[ids["AKTAR-2"][0]]
        assert (other["part_code"], other["part_name"]) == ("AKTAR-2", "Aktar")
        # The unit taken from stock says so; one still on the shelf does not.
        assert by_id[ids["DIŞA-1"][0]]["used"] != by_id[ids["DIŞA-1"][1]]["used"]


# -- the upload's dry run ------------------------------------------------------------------------

def choose(page: Any, file: Path) -> None:
    page.get_by_test_id("upload-file").set_input_files(str(file))
    expect(page.get_by_test_id("upload-file-name")).to_have_text(file.name)


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_upload_is_checked_first_and_written_only_once_confirmed(
        page, sign_in, local_run, id_token, catalogs, tmp_path, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    file = tmp_path / "parts.csv"
    file.write_text("part_code,part_name,quantity,min_units\n"
                    "ONAY-1,Onay,3,2\nİKİ-2,İkinci parça,1,\n", encoding="utf-8")
    sign_in(page, "alice")
    expect(page.get_by_test_id("parts-empty")).to_be_visible()

    # The dry run: what the upload would do, and nothing written.
    # (Playwright does not see a multipart body holding a file: what the function wrote,
    # or did not, is the check.)
    choose(page, file)
    page.get_by_test_id("upload-submit").click()
    preview = page.get_by_test_id("upload-preview")
    expect(preview).to_be_visible()
    expect(page.get_by_test_id("upload-preview-summary")).to_have_text(
        fill(say["upload.preview.summary"], parts=2, added=4, existing=0))
    parts = page.get_by_test_id("upload-preview-parts")
    assert cells(parts.locator('tr[data-part="ONAY-1"]'))[:5] == ["ONAY-1", "Onay", "3", "0", "3"]
    assert cells(parts.locator('tr[data-part="İKİ-2"]'))[:5] == [
        "İKİ-2", "İkinci parça", "1", "0", "1"]
    minimums = page.get_by_test_id("upload-preview-minimums")
    assert cells(minimums.locator('tr[data-part="ONAY-1"]')) == [
        "ONAY-1", say["minimum.none"], "2"]
    expect(page.get_by_test_id("upload-errors")).to_have_count(0)
    expect(page.get_by_test_id("upload-confirm")).to_have_text(say["upload.confirm"])
    expect(page.get_by_test_id("upload-confirm")).to_be_visible()
    assert listed(local_run, token) == {}
    expect(page.get_by_test_id("parts-empty")).to_be_visible()
    shot(page, language, "labels-upload-preview")
    check_page(page, "labels page with an upload's dry run")

    # Cancelled: still nothing.
    page.get_by_test_id("upload-cancel").click()
    expect(preview).to_be_hidden()
    expect(page.get_by_text(say["upload.cancelled"])).to_be_visible()
    assert listed(local_run, token) == {}

    # Checked again and confirmed: written, with the file's minimum.
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-confirm")).to_be_visible()
    page.get_by_test_id("upload-confirm").click()
    expect(page.get_by_text(fill(say["upload.done"], parts=2, added=4, existing=0))
           ).to_be_visible()
    expect(page.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
    expect(preview).to_be_hidden()
    expect(part_row(page, "ONAY-1").get_by_test_id("part-min")).to_have_text("2")
    stored = listed(local_run, token)
    assert set(stored) == {"ONAY-1", "İKİ-2"}
    assert stored["ONAY-1"]["units"] == 3 and stored["ONAY-1"]["min_units"] == 2
    assert stored["İKİ-2"]["min_units"] is None

    # The same list with more units and a new minimum: the preview shows only the change.
    file.write_text("part_code,part_name,quantity,min_units\n"
                    "ONAY-1,Onay,5,1\nİKİ-2,İkinci parça,1,\n", encoding="utf-8")
    choose(page, file)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-preview-summary")).to_have_text(
        fill(say["upload.preview.summary"], parts=2, added=2, existing=4))
    assert cells(page.get_by_test_id("upload-preview-minimums").locator("tbody tr")) == [
        "ONAY-1", "2", "1"]
    assert listed(local_run, token)["ONAY-1"]["units"] == 3
    expect(page.get_by_test_id("error-alert")).to_be_empty()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_upload_with_refused_rows_shows_them_and_cannot_be_confirmed(
        page, sign_in, local_run, id_token, catalogs, tmp_path, language: str) -> None:
    say = catalogs[language]
    token = id_token("alice")
    bad = "part_code,part_name,quantity\nİYİ-1,İyi,2\nbad code!,Kötü,1\nİYİ-2,İyi,-4\n"
    # What the real upload refuses, in this language: the dry run refuses the same rows.
    boundary = "dryrunboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"parts.csv\"\r\nContent-Type: text/csv\r\n\r\n{bad}\r\n"
            f"--{boundary}--\r\n").encode()
    real = function_error(local_run, token, "upload_parts", language, body=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    expected = real["details"]["errors"]
    assert len(expected) == 2
    file = tmp_path / "parts.csv"
    file.write_text(bad, encoding="utf-8")
    sign_in(page, "alice")
    choose(page, file)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-preview-refused")).to_have_text(
        fill(say["upload.preview.refused"], count=2))
    errors = page.get_by_test_id("upload-errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    for shown, sent in zip(errors.locator("tbody tr").all(), expected, strict=True):
        expect(shown.locator("td").nth(0)).to_have_text(str(sent["row"]))
        expect(shown.locator("td").nth(2)).to_have_text(sent["reason"])
    expect(page.get_by_test_id("upload-confirm")).to_be_hidden()
    expect(page.get_by_test_id("upload-cancel")).to_have_text(say["upload.close"])
    expect(page.get_by_text(say["upload.preview.blocked"])).to_be_visible()
    assert listed(local_run, token) == {}
    expect(page.get_by_test_id("parts-empty")).to_be_visible()
    shot(page, language, "labels-upload-refused")
    check_page(page, "labels page with refused rows")
    page.get_by_test_id("upload-cancel").click()
    expect(page.get_by_test_id("upload-errors")).to_have_count(0)
    expect(page.get_by_test_id("upload-choose")).to_be_focused()


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en")])
def test_the_check_of_a_long_list_shows_its_first_parts_and_how_many(
        page, sign_in, local_run, id_token, catalogs, tmp_path, language: str) -> None:
    say = catalogs[language]
    file = tmp_path / "long.csv"
    file.write_text("part_code,part_name,quantity\n" + "".join(
        f"UZUN-{n:04d},Part {n},1\n" for n in range(501)), encoding="utf-8")
    sign_in(page, "alice")
    choose(page, file)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-preview-summary")).to_have_text(
        fill(say["upload.preview.summary"], parts=501, added=501, existing=0))
    expect(page.get_by_test_id("upload-preview-parts").locator("tbody tr")).to_have_count(500)
    expect(page.get_by_test_id("upload-preview").get_by_text(
        fill(say["upload.preview.more"], shown=500, count=501))).to_be_visible()
    assert listed(local_run, id_token("alice")) == {}


# -- on a phone ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_the_new_parts_of_the_page_fit_a_phone(page, sign_in, local_run, id_token, catalogs,
                                               tmp_path, language: str) -> None:
    """At 320 CSS px (WCAG 1.4.10) the minimum's form, a unit's life and an upload's check do
    not make the page scroll sideways (wide tables scroll in their own box)."""
    say = catalogs[language]
    token = id_token("alice")
    (qr_id,) = upload(local_run, token, [("TELEFON-UZUN-PARÇA-KODU-1", "Telefon", 1)])[
        "TELEFON-UZUN-PARÇA-KODU-1"]
    called(local_run, "mark_units_used",
           {"qr_ids": [qr_id], "reason": "Çok uzun bir neden: " + "müşteriye gönderildi " * 8},
           token)
    sign_in(page, "alice")
    page.set_viewport_size({"width": 320, "height": 640})  # (signed in: the menu folds)

    def fits(where: str) -> None:
        assert_fits_a_phone(page, where)

    row = part_row(page, "TELEFON-UZUN-PARÇA-KODU-1")
    row.get_by_test_id("min-edit").click()
    expect(row.get_by_test_id("min-input")).to_be_focused()
    fits("the minimum's form")
    page.keyboard.press("Escape")
    expect(row.get_by_test_id("min-edit")).to_be_focused()

    page.get_by_test_id("label-qr-id").fill(qr_id)
    page.get_by_test_id("label-qr-id").press("Enter")
    expect(page.get_by_test_id("unit-state")).to_have_text(say["unit.used"])
    fits("a unit's life")

    file = tmp_path / "parts.csv"
    file.write_text("part_code,part_name,quantity,min_units\nTELEFON-UZUN-PARÇA-KODU-1,"
                    "Telefon,3,2\nbad code!,Kötü,1,\n", encoding="utf-8")
    choose(page, file)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-preview-refused")).to_be_visible()
    fits("an upload's check")
    page.screenshot(path=str(SCREENSHOTS / "pages" / f"{language}-phone-labels-stock.png"),
                    full_page=True)
