"""A real browser (headless Chromium driven by Playwright) against the running studio:
register, upload, see the waveform, watch the analysis job finish live."""

import pytest

from tests.conftest import SR, encode, tone
from tests.studio import CHROMIUM, CHROMIUM_ARGS, Studio, register_in_browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium)")]


def test_register_upload_waveform_and_live_analysis(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    song = tmp_path / "browser song.flac"
    song.write_bytes(encode(tone(6.0), SR, "flac"))
    with Studio(tmp_path) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        register_in_browser(page, studio, "browseruser")
        expect(page.locator("h1")).to_have_text("Your library")
        page.set_input_files("#file-input", str(song))
        page.wait_for_url("**/files/**", timeout=30_000)
        expect(page.locator(".file-name")).to_have_text("browser song.flac")
        # the waveform player draws the peaks and becomes ready to play
        expect(page.locator("#player")).to_have_attribute("data-ready", "1", timeout=30_000)
        assert page.evaluate("window.sonicPlayer.getDuration()") == pytest.approx(6.0, abs=0.1)
        # The song crossed the network once, though the page decodes it for the waveform and again to play it.
        file_id = page.url.rstrip("/").split("/")[-1]
        page.reload()
        expect(page.locator("#player")).to_have_attribute("data-ready", "1", timeout=30_000)
        studio.log.flush()
        served = [line for line in (tmp_path / "studio.log").read_text().splitlines()
                  if f"GET /files/{file_id}/stream" in line]
        assert len(served) == 1, served
        # the analysis job's progress arrives over the WebSocket; the page then shows the results
        expect(page.locator("#tempo")).to_contain_text("BPM", timeout=120_000)
        expect(page.locator("#key")).not_to_be_empty()
        # the detected beats come with the page, ready for the click track
        assert len(page.evaluate("JSON.parse(document.getElementById('beat-times').textContent)")) >= 8
        page.check("#click-beats")
        # the chord track lies under the waveform, and the chord under the playhead lights up as it plays
        expect(page.locator("#chord-lane .chord-cell").first).to_be_visible()
        page.click("#play")
        expect(page.locator("#play")).to_have_text("❚❚ Pause")
        expect(page.locator("#chord-lane .chord-cell.now")).to_have_count(1, timeout=10_000)
        assert page.get_attribute("#chord-lane", "data-chord")
        page.screenshot(path=str(tmp_path / "file-page.png"), full_page=True)
        page.goto(f"{studio.url}/jobs/")
        expect(page.locator(".job-status").first).to_have_text("completed")
        browser.close()


def test_library_rows_show_tempo_and_key_when_their_analysis_ends(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    songs = []
    for name, seconds in (("first take.wav", 5.0), ("second take.flac", 6.0)):
        songs.append(tmp_path / name)
        songs[-1].write_bytes(encode(tone(seconds), SR, name.rsplit(".", 1)[1]))
    with Studio(tmp_path) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        console = []
        page.on("console", lambda m: m.type in ("warning", "error") and console.append(m.text))
        register_in_browser(page, studio, "libraryuser")
        empty = tmp_path / "empty.wav"
        empty.write_bytes(b"")
        page.set_input_files("#file-input", [str(s) for s in songs])  # two songs: the page stays on the library
        expect(page.locator(".upload[data-state=done]")).to_have_count(2, timeout=60_000)
        rows = page.locator("#library-items .song")
        expect(rows).to_have_count(2)
        # No reload: each row follows its song's analysis and then shows the tempo and the key.
        for row in range(2):
            expect(rows.nth(row).locator(".song-facts")).to_contain_text("BPM", timeout=180_000)
            expect(rows.nth(row).locator(".song-key")).not_to_be_empty()
        assert page.locator("[data-analysis-job]").count() == 0
        # An empty file is refused in the page, in a sentence, without a network error in the console.
        page.set_input_files("#file-input", [str(empty), str(songs[0])])
        expect(page.locator(".upload[data-state=failed] .upload-msg")).to_have_text(
            "empty.wav is empty (0 bytes): there is no sound in it to upload.")
        expect(page.locator(".upload[data-state=done]")).to_have_count(3, timeout=60_000)
        assert console == []
        browser.close()
