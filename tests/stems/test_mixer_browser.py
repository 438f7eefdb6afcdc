"""The stem mixer in headless Chromium: separate, see four stem strips, export one stem and the mix."""

import pytest

from tests.conftest import SR, encode, tone
from tests.studio import CHROMIUM, CHROMIUM_ARGS, Studio, register_in_browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium)")]


def test_separate_then_mix_and_export_in_the_browser(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    song = tmp_path / "mixer song.wav"
    song.write_bytes(encode(tone(6.0), SR, "wav"))
    with Studio(tmp_path) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        register_in_browser(page, studio, "mixeruser")
        page.set_input_files("#file-input", str(song))
        page.wait_for_url("**/files/**", timeout=30_000)
        page.click("text=Stems & mixer")
        page.click("button:has-text('Separate')")
        rows = page.locator(".stem-row")
        expect(rows).to_have_count(4, timeout=120_000)
        expect(page.locator("#mixer")).to_have_attribute("data-ready", "1", timeout=30_000)
        assert [rows.nth(i).locator(".stem-name").text_content() for i in range(4)] == [
            "vocals", "drums", "bass", "other"]
        page.select_option("#export-format", "flac")
        with page.expect_download(timeout=60_000) as exported:  # one click: the file comes when it is ready
            rows.nth(2).locator(".stem-export").click()
        assert exported.value.suggested_filename.endswith("bass.flac")
        expect(page.locator("#export-status a")).to_have_text("Download bass (FLAC)")
        rows.nth(0).locator(".stem-mute").click()
        page.click("#export-mix")
        expect(page.locator("#export-status a")).to_have_text("Download mix (FLAC)", timeout=60_000)
        body = page.request.get(page.locator("#export-status a").get_attribute("href")).body()
        assert body[:4] == b"fLaC"
        browser.close()
