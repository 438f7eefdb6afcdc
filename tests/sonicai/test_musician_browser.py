"""The studio as a musician meets it (issue #19), in headless Chromium against the running studio.

One studio and one account for the whole module (starting a studio costs ~15 s on two cores); the tests run
in file order and build on each other's songs: upload -> track view -> stems -> remix -> versions -> jobs.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import SR, encode, tone
from tests.studio import CHROMIUM, CHROMIUM_ARGS, Studio, register_in_browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium)")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
JOB_WAIT = 120_000


def _song(seconds: float = 20.0):
    """A real little song (drums, bass, chords; the composer's SoundFont rendering), stereo float32."""
    import numpy as np

    from sonicai.music.compose.engine import compose

    out = compose("pop song with piano, bass and drums, 100 bpm", seconds, seed=5)
    audio = np.asarray(out.audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = np.stack([audio, audio])
    return audio, out.sr


class Session:
    """The module's studio, browser and logged-in page, with a log of console errors and failed requests."""

    def __init__(self, studio, browser, page, tmp):
        self.studio, self.browser, self.page, self.tmp = studio, browser, page, tmp
        self.problems: list[str] = []
        self.song_id = ""

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self._failed(r))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def _failed(self, request) -> None:
        # An <audio preload="metadata"> reads the file's head and cancels the rest itself: not a failure.
        if request.resource_type == "media" and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"failed request: {request.url} {request.failure}")

    def api(self, path: str) -> dict:
        res = self.page.request.get(f"{self.studio.url}{path}")
        assert res.ok, (path, res.status)
        return res.json()

    def wait_job(self, job_id: str, timeout_s: float = 120) -> dict:
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.api(f"/api/v1/jobs/{job_id}")
            if job["status"] in ("completed", "failed", "cancelled"):
                return job
            time.sleep(0.5)
        raise AssertionError(f"job {job_id} did not end")

    def jobs(self, **filters) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.api(f"/api/v1/jobs?{query}")["results"]


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("musician")
    with Studio(tmp) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        session = Session(studio, browser, page, tmp)
        session.watch(page)
        register_in_browser(page, studio, "musician")
        yield session
        browser.close()


def test_upload_several_songs_with_a_bar_each_and_limits_shown_first(s):
    from playwright.sync_api import expect

    audio, sr = _song(20.0)
    song = s.tmp / "My Song.wav"
    song.write_bytes(encode(audio, sr, "wav"))
    other = s.tmp / "Second Take.flac"
    other.write_bytes(encode(tone(3.0), SR, "flac"))
    page = s.page
    page.goto(f"{s.studio.url}/library/")
    # the limits are at the drop zone before anything is sent
    limits = page.locator("#upload-limits").text_content()
    assert "100 MB" in limits and "10 minutes" in limits and "WAV" in limits
    page.set_input_files("#file-input", [str(song), str(other)])
    rows = page.locator("#uploads .upload")
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i)).to_have_attribute("data-state", "done", timeout=60_000)
        expect(rows.nth(i).locator(".progress .label")).to_have_text("100 %")
    # both land in the library (the list refreshes itself), each its own song
    expect(page.locator(".song-name")).to_have_count(2, timeout=10_000)
    files = {f["original_name"]: f["id"] for f in s.api("/api/v1/audio")["results"]}
    assert set(files) == {"My Song.wav", "Second Take.flac"}
    s.song_id = files["My Song.wav"]
    for job in s.jobs(job_type="analysis"):
        assert s.wait_job(job["id"])["status"] == "completed"
    # keyboard: the list refreshing itself keeps the focused song link focused (it went back to the page's top)
    link = page.locator(f'#library-items a[href="/files/{s.song_id}/"]').first
    link.focus()
    with page.expect_response(lambda r: r.url.endswith("/library/") and r.request.headers.get("hx-request")):
        page.evaluate("document.body.dispatchEvent(new CustomEvent('library-changed'))")
    page.wait_for_timeout(300)
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"/files/{s.song_id}/"
    # Enter on an upload row's link opens the song (the drop zone around it opened the file picker instead)
    rows.nth(0).locator("a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/files/**", timeout=10_000)


def test_track_view_layers_zoom_ruler_spectrogram_and_one_playhead(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/files/{s.song_id}/")
    expect(page.locator("#player")).to_have_attribute("data-ready", "1", timeout=30_000)
    expect(page.locator("#player")).to_have_attribute("data-spectrogram", "1", timeout=30_000)
    info = page.evaluate("""() => {
      const ws = window.sonicPlayer, wrapper = ws.getWrapper();
      const canvas = wrapper.querySelector('.canvases canvas');
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set();
      for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0) colours.add(px[i + 3] > 250 ? 'rms' : 'peak');
      const spec = [...wrapper.querySelectorAll('canvas')]
        .filter(c => !c.closest('.canvases') && !c.closest('.progress'));
      const cursor = wrapper.querySelector('.cursor');
      return {rate: ws.getDecodedData().sampleRate, colours: [...colours], specInWrapper: spec.length > 0,
              cursor: cursor.getBoundingClientRect().height, wave: wrapper.querySelector('.canvases').offsetHeight};
    }""")
    # decoded samples (not 2000 server peaks), two layers, the spectrogram in the same scrolling frame,
    # and the playhead crossing waveform, ruler and spectrogram
    assert info["rate"] >= 11025
    assert set(info["colours"]) == {"rms", "peak"}
    assert info["specInWrapper"]
    assert info["cursor"] > info["wave"] + 100
    assert page.locator("#freq-axis span").count() >= 3
    assert page.locator("#minimap canvas").count() >= 1
    # zoomed in, the ruler still labels what is on screen and the waveform is redrawn from samples
    page.locator("#zoom").evaluate("el => { el.value = '100'; el.dispatchEvent(new Event('input')); }")
    page.evaluate("window.sonicPlayer.setTime(10)")
    page.wait_for_timeout(800)
    visible = page.evaluate("""() => {
      const ws = window.sonicPlayer, scroll = ws.getScroll(), width = ws.getWidth();
      const labels = [...ws.getWrapper().querySelectorAll('[part~=timeline-notch]')]
        .filter(n => n.textContent && n.offsetLeft >= scroll && n.offsetLeft < scroll + width);
      return {labels: labels.map(n => n.textContent), pxPerSec: ws.getWrapper().scrollWidth / ws.getDuration()};
    }""")
    assert visible["pxPerSec"] > 500
    assert len(visible["labels"]) >= 2, visible
    assert all(re.fullmatch(r"\d+:\d{2}(\.\d+)?", t) for t in visible["labels"]), visible
    # key spelled as musicians write it; dark native controls
    assert "#" not in page.locator("#key").text_content()
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == "dark"


def test_the_track_view_moves_and_selects_from_the_keyboard_and_a_finger(s):
    """Without a mouse the file page could neither move through the song nor select a part; on a phone a drag
    across the waveform scrolled the page (the browser cancelled the pointer) instead of selecting."""
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/files/{s.song_id}/")
    expect(page.locator("#player")).to_have_attribute("data-ready", "1", timeout=30_000)
    view = page.locator("#track-view")
    # the player's own copy of the song is decoded a moment after the waveform is drawn; a seek before that
    # is clamped to 0 (wavesurfer's), which a musician's first key press never meets
    for _ in range(50):
        if page.evaluate("(() => { const ws = window.sonicPlayer; ws.setTime(0.5); const t = ws.getCurrentTime(); "
                         "ws.setTime(0); return t; })()") > 0:
            break
        page.wait_for_timeout(100)
    view.focus()
    now = lambda: page.evaluate("window.sonicPlayer.getCurrentTime()")  # noqa: E731
    page.keyboard.press("ArrowRight")
    assert now() == pytest.approx(5.0, abs=0.05)
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("[")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("]")
    assert page.locator("#region-info").text_content() == "0:06.0 – 0:11.0"
    assert view.get_attribute("aria-valuetext").startswith("0:11.0 of ")
    page.keyboard.press("End")
    assert now() == pytest.approx(page.evaluate("window.sonicPlayer.getDuration()"), abs=0.05)
    page.keyboard.press("Home")
    assert now() == 0
    page.click("#clear-region")
    assert page.evaluate("getComputedStyle(document.getElementById('waveform')).touchAction") == "pan-y"


def test_the_menu_marks_where_the_musician_is(s):
    page = s.page
    for path, current in ((f"/files/{s.song_id}/", "Library"), ("/mood/", "Moods"), (f"/mood/{s.song_id}/", "Library"),
                          (f"/practice/{s.song_id}/", "Library"), ("/jobs/", "Jobs")):
        page.goto(f"{s.studio.url}{path}")
        active = page.locator("nav[aria-label=Studio] a.active")
        assert active.count() == 1 and active.text_content() == current, path
        assert active.get_attribute("aria-current") in ("page", "true")


def test_stem_lanes_share_one_playhead_and_click_to_seek(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/stems/{s.song_id}/")
    text = page.locator("main").inner_text()
    # engines: what the studio offers, and a plain word for the rest; no server paths or install switches
    assert "not installed on this server" in text
    assert "SONICAI_ALLOW_DOWNLOADS" not in text and "/models" not in text
    # a region shorter than a second is explained in words, at the field to change
    page.fill("input[name=start]", "10")
    page.fill("input[name=end]", "10.5")
    page.click("button:has-text('Separate')")
    err = page.locator(".form-error")
    expect(err).to_contain_text("at least 1 s long")
    assert "{" not in err.text_content() and "non_field_errors" not in err.text_content()
    assert page.get_attribute("input[name=end]", "aria-invalid") == "true"
    page.fill("input[name=start]", "-2")
    page.fill("input[name=end]", "")
    page.click("button:has-text('Separate')")
    expect(err).to_have_text("The region's start must be 0 s or later.")
    page.fill("input[name=start]", "")
    page.click("button:has-text('Separate')")
    expect(page.locator(".stem-row")).to_have_count(4, timeout=JOB_WAIT)
    expect(page.locator("#mixer")).to_have_attribute("data-ready", "1", timeout=30_000)
    lane = page.locator(".stem-row").nth(2).locator(".stem-lane")
    box = lane.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.wait_for_timeout(200)
    position = float(page.get_attribute("#mixer", "data-position"))
    assert position == pytest.approx(10.0, abs=0.5)
    lefts = page.evaluate("[...document.querySelectorAll('.stem-lane .playhead')]"
                          ".map(p => p.getBoundingClientRect().left)")
    assert len(lefts) == 4 and max(lefts) - min(lefts) < 1.5
    assert abs(lefts[0] - (box["x"] + box["width"] * 0.5)) < 3
    # a stem exported alone is named after the song and the stem
    page.locator(".stem-row").nth(0).locator(".stem-export").click()
    link = page.locator("#export-status a")
    expect(link).to_have_text("Download vocals (WAV)", timeout=60_000)
    res = page.request.get(link.get_attribute("href"))
    assert 'filename="My Song - vocals.wav"' in res.headers["content-disposition"]
    # at a phone's width the lanes are still drawn, full width
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    widths = page.evaluate("[...document.querySelectorAll('.stem-lane canvas')].map(c => c.width)")
    assert min(widths) > 250
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.set_viewport_size(DESKTOP)


def test_remix_applies_tempo_and_pitch_together_and_compares_in_time_and_loudness(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    page.locator("#bpm").evaluate("el => { el.value = '120'; el.dispatchEvent(new Event('input')); }")
    page.locator("#pitch").evaluate("el => { el.value = '2'; el.dispatchEvent(new Event('input')); }")
    expect(page.locator("#pitch-value")).to_have_text("+2 st")
    # an effect as controls, not JSON: add reverb, set its room size with the slider
    page.select_option("#fx-type", "reverb")
    page.click("#fx-add")
    room = page.locator(".fx[data-type=reverb] input[data-param=room_size]")
    room.evaluate("el => { el.value = '0.7'; el.dispatchEvent(new Event('input')); }")
    assert page.locator("textarea").count() == 0
    page.click("#render")
    page.wait_for_url("**compare=**", timeout=JOB_WAIT)
    job = s.jobs(job_type="tempo")[0]
    assert job["input_params"]["pitch"] == 2.0 and job["input_params"]["target_bpm"] == 120.0
    assert job["input_params"]["effects"][0]["type"] == "reverb"
    assert job["input_params"]["effects"][0]["room_size"] == pytest.approx(0.7, abs=0.01)
    assert job["result"]["pitch"] == 2.0
    result = s.api(f"/api/v1/audio/{job['result']['result_file_id']}")
    assert result["original_name"] == "My Song (120 BPM, +2 semitones, effects).wav"
    # the reload that opened the comparison kept the settings: the next render starts from them
    expect(page.locator("#pitch-value")).to_have_text("+2 st")
    assert float(page.locator("#bpm").input_value()) == pytest.approx(120.0)
    assert page.locator(".fx[data-type=reverb]").count() == 1
    # A/B: the same musical moment in both, and levels matched by loudness once the remix is analysed
    expect(page.locator("#compare")).to_have_attribute("data-ready", "1", timeout=60_000)
    expect(page.locator("#compare-note")).to_contain_text("Levels matched", timeout=60_000)
    expect(page.locator("#compare")).to_have_attribute("data-ready", "1", timeout=60_000)
    ratio = job["result"]["tempo_ratio"]
    assert page.evaluate("window.sonicCompare.mapAtoB(8)") == pytest.approx(8 / ratio, abs=0.01)
    gains = page.evaluate("window.sonicCompare.state.gains")
    source = s.api(f"/api/v1/audio/{s.song_id}/features")["loudness_lufs"]
    remixed = s.api(f"/api/v1/audio/{job['result']['result_file_id']}/features")["loudness_lufs"]
    matched = [source + 20 * __import__("math").log10(gains[0]), remixed + 20 * __import__("math").log10(gains[1])]
    assert matched[0] == pytest.approx(matched[1], abs=0.05)
    lane = page.locator("#lane-a").bounding_box()
    page.mouse.click(lane["x"] + lane["width"] * 0.5, lane["y"] + 10)
    page.click("#ab-play")
    page.wait_for_timeout(300)
    before = float(page.get_attribute("#compare", "data-position"))
    page.click("#ab-switch")
    expect(page.locator("#ab-which")).to_have_text("B (after)")
    page.wait_for_timeout(300)
    after = float(page.get_attribute("#compare", "data-position"))
    assert before == pytest.approx(10.0, abs=0.7) and after == pytest.approx(before, abs=0.7)
    page.click("#ab-play")


def test_genre_says_its_tempo_and_the_preview_lasts_what_it_says(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    labels = page.locator("#genres .chip").all_text_contents()
    assert {"EDM", "Hip-hop", "Lo-fi"} <= set(labels)
    page.click("#genres .chip:has-text('Lo-fi')")
    note = page.locator("#genre-note").text_content()
    genre_bpm = float(re.search(r"plays at (\d+) BPM", note).group(1))
    assert float(page.locator("#bpm").input_value()) == pytest.approx(genre_bpm, abs=0.6)
    assert page.locator("#preview-genre").text_content().strip() == "Preview 12 s of the chosen genre"
    page.click("#preview-genre")
    expect(page.locator("#genre-preview")).to_be_visible(timeout=JOB_WAIT)
    result_id = page.get_attribute("#genre-preview", "data-result-id")
    preview = s.api(f"/api/v1/audio/{result_id}")
    assert preview["duration"] == pytest.approx(12.0, abs=1.0)
    assert preview["original_name"].startswith("My Song (lo-fi remix, 0:")  # a region, named by its times
    job = s.jobs(job_type="remix")[0]
    assert job["result"]["tempo_bpm"] == pytest.approx(genre_bpm, abs=0.6)
    # The change the note states is the one the render made: in half time a slower BPM plays the song faster.
    r = job["result"]
    speed = r["tempo_bpm"] / (r["source_bpm"] * r["beats_per_source_beat"])
    stated = re.search(r"(faster|slower) by ([+−])([\d.]+) %", note)
    if abs(speed - 1) < 0.0005:
        assert "the song's own tempo" in note, note
    else:
        assert stated and stated.group(1) == ("faster" if speed > 1 else "slower"), note
        assert float(stated.group(3)) == pytest.approx(abs(speed - 1) * 100, abs=0.2), note
    if r["beats_per_source_beat"] != 1:
        assert ("in half time" if r["beats_per_source_beat"] == 0.5 else "in double time") in note, note


def test_the_tempo_and_genre_notes_state_one_change_and_warn_outside_the_genres_range(s):
    """At 30 BPM in jazz the genre note said the song slows by 50 % (half time) and the tempo note by 75 %."""
    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    page.click("#genres .chip:has-text('Jazz')")
    page.focus("#bpm")
    page.keyboard.press("Home")
    genre_note, tempo_note = page.locator("#genre-note").text_content(), page.locator("#tempo-note").text_content()
    stated = re.search(r"by ([+−][\d.]+ %)", genre_note).group(1)
    assert tempo_note.startswith(f"{stated}:"), (genre_note, tempo_note)
    assert "outside Jazz's usual" in genre_note
    # the tempo can be typed (the slider is 1.3 BPM a pixel on a phone and 2,700 arrow presses end to end)
    page.fill("#bpm-typed", "92.5")
    assert float(page.locator("#bpm").input_value()) == pytest.approx(92.5)
    assert page.locator("#bpm-value").text_content() == "92.5 BPM"
    page.click("#bpm-reset")


def test_versions_are_listed_under_their_song_and_jobs_say_what_they_did(s):
    page = s.page
    page.goto(f"{s.studio.url}/library/")
    songs = page.locator(".song-name").all_text_contents()
    assert songs.count("My Song.wav") == 1 and not any("(" in name for name in songs), songs
    mine = page.locator(".song", has=page.locator(".song-name", has_text="My Song.wav"))
    versions = mine.locator(".version").all_inner_texts()
    assert any("My Song (120 BPM, +2 semitones, effects).wav" in v and "Tempo change" in v for v in versions)
    assert any("lo-fi remix, 0:" in v and "Lo-fi" in v for v in versions)  # the preview: a region, by its times
    assert any("My Song - vocals.wav" in v and "vocals only" in v for v in versions)
    # the remix's own page says what made it and links back
    page.click("text=My Song (120 BPM, +2 semitones, effects).wav")
    provenance = page.locator("#provenance")
    assert "120 BPM" in provenance.text_content() and "+2 semitones" in provenance.text_content()
    page.click("#provenance a:has-text('My Song.wav')")
    page.wait_for_url(f"**/files/{s.song_id}/")
    # jobs: parameters in words, a link to each result, no wall of 100 % bars
    page.goto(f"{s.studio.url}/jobs/")
    rows = page.locator(".job")
    tempo = page.locator(".job", has=page.locator(".job-type", has_text="Tempo change"))
    assert "120 BPM · +2 semitones" in tempo.locator(".job-params").text_content()
    tempo.locator(".job-result").click()
    page.wait_for_url("**/files/**")
    assert page.locator(".file-name").text_content() == "My Song (120 BPM, +2 semitones, effects).wav"
    page.goto(f"{s.studio.url}/jobs/")
    assert rows.count() >= 6
    ended = ".job:not([data-job-status=pending]):not([data-job-status=processing])"
    assert page.locator(ended).count() >= 6 and page.locator(f"{ended} .progress:visible").count() == 0


def test_generate_keeps_the_form_and_names_the_download(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/generate/")
    page.fill("#prompt", "calm piano, 80 bpm")
    page.fill("#duration", "")
    page.click("#generate")
    expect(page.locator("#generate-studio .form-error")).to_have_text("Give the duration in seconds, from 5 to 300.")
    # the API answers a blank duration with a sentence too, keyed by the field
    res = page.request.post(f"{s.studio.url}/api/v1/generate/text-to-music", data=json.dumps(
        {"prompt": "calm piano", "duration": None}), headers={"Content-Type": "application/json",
                                                             "X-CSRFToken": _csrf(page)})
    assert res.status == 400 and res.json() == {"duration": ["Give the duration in seconds (5 to 300 s)."]}
    page.fill("#duration", "6")
    page.fill("#seed", "11")
    page.click("#generate")
    expect(page.locator("#gallery .track")).to_have_count(1, timeout=JOB_WAIT)
    assert page.input_value("#prompt") == "calm piano, 80 bpm" and page.input_value("#seed") == "11"
    link = page.locator("#gallery .track a:has-text('Download')").get_attribute("data-download")
    url = page.request.get(f"{s.studio.url}{link}").json()["url"]
    disposition = page.request.get(url).headers["content-disposition"]
    assert 'filename="calm piano, 80 bpm.wav"' in disposition


def test_effect_values_out_of_range_are_refused_with_the_range(s):
    res = s.page.request.post(f"{s.studio.url}/api/v1/remix/effects", data=json.dumps(
        {"audio_file_id": s.song_id, "effects": [{"type": "reverb", "room_size": 999}]}),
        headers={"Content-Type": "application/json", "X-CSRFToken": _csrf(s.page)})
    assert res.status == 400
    assert res.json() == {"effects": ["effect 1 (reverb): room size is 999; it must be from 0 to 1."]}


def test_a_preset_renders_as_it_is_defined(s):
    """Loaded into the rack, the telephone preset was sent as 400.9 Hz, 3206.5 Hz, +4.08 dB: its sliders' steps."""
    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    page.select_option("#preset", "telephone")
    page.click("#preset-load")
    sent = []

    def hold(route):
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=400, content_type="application/json", body='{"detail": "held by the test"}')

    page.route("**/api/v1/remix/effects", hold)
    page.click("#render")
    page.wait_for_timeout(500)
    page.unroute("**/api/v1/remix/effects")
    chain = {e["type"]: e for e in sent[0]["effects"]}
    assert chain["highpass"]["cutoff_hz"] == 400 and chain["lowpass"]["cutoff_hz"] == 3200
    assert chain["peak"]["gain_db"] == 4 and chain["peak"]["q"] == 1.2 and chain["peak"]["freq_hz"] == 1500
    assert chain["distortion"]["output_db"] == -3 and chain["distortion"]["drive_db"] == 12


def _csrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_every_page_fits_a_phone_and_loads_without_errors(s):
    """At 390 px nothing is off-screen on any page, and no page logs an error or a failed request."""
    context = s.browser.new_context(viewport=PHONE)
    page = context.new_page()
    s.problems.clear()
    s.watch(page)
    derived = [f"/files/{r['result_file']}/" for r in s.api("/api/v1/remix/history")["results"][:1]]
    pages = ["/accounts/login/", "/accounts/register/"]
    logged_in = ["/library/", f"/files/{s.song_id}/", *derived, f"/stems/{s.song_id}/",
                 f"/remix/{s.song_id}/", "/generate/", "/jobs/", f"/mood/{s.song_id}/", "/mood/", "/docs", "/redoc",
                 f"/practice/{s.song_id}/", f"/practice/{s.song_id}/transcription/", f"/practice/{s.song_id}/sheet/"]
    too_wide = {}
    for path in pages:
        page.goto(f"{s.studio.url}{path}")
        page.wait_for_load_state("networkidle")
        if not page.evaluate("document.documentElement.scrollWidth <= innerWidth"):
            too_wide[path] = page.evaluate("document.documentElement.scrollWidth")
    page.goto(f"{s.studio.url}/accounts/login/")
    page.fill("input[name=username]", "musician")
    page.fill("input[name=password]", "listen-to-this-42")
    page.click("button[type=submit]")
    page.wait_for_url("**/library/")
    for path in logged_in:
        page.goto(f"{s.studio.url}{path}")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        if not page.evaluate("document.documentElement.scrollWidth <= innerWidth"):
            too_wide[path] = page.evaluate("document.documentElement.scrollWidth")
        # the top bar's links are all on screen
        for a in page.locator(".topbar a, .topbar button").all():
            box = a.bounding_box()
            assert box is None or box["x"] + box["width"] <= PHONE["width"] + 0.5, (path, a.text_content())
        if path.startswith("/files/"):
            for name in ("Download", "Delete"):
                box = page.locator(f".file-head :text-is('{name}')").bounding_box()
                assert box["x"] + box["width"] <= PHONE["width"], (path, name)
    assert not too_wide, too_wide
    icon = page.request.get(f"{s.studio.url}/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg")
    assert not s.problems, s.problems
    context.close()


def test_a_page_whose_session_ended_says_so_and_offers_the_sign_in(s):
    from playwright.sync_api import expect

    context = s.browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{s.studio.url}/accounts/login/")
    page.fill("input[name=username]", "musician")
    page.fill("input[name=password]", "listen-to-this-42")
    page.click("button[type=submit]")
    page.wait_for_url("**/library/")
    page.goto(f"{s.studio.url}/stems/{s.song_id}/")
    context.clear_cookies()  # the session ends while the page is open
    page.locator("#separate-form button[type=submit]").click()
    err = page.locator("#separate-form + .form-error")
    expect(err).to_contain_text("You are not signed in (or your session has ended)")
    link = err.locator("a", has_text="Log in")
    assert link.get_attribute("href") == f"/accounts/login/?next=%2Fstems%2F{s.song_id}%2F"
    context.close()
