"""The practice player and the piano roll in headless Chromium, as a browser probe found them: the end of the song,
the keyboard, the chord lane on a phone, the loop fields, the piano roll's axes and click, and small details.

The song, its analysis (beats, 60 short chords), two stems and a transcription are written straight into the
studio's database, so the tests do not wait for the analysis, separation and transcription jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise

import numpy as np
import pytest

from tests.conftest import encode
from tests.studio import CHROMIUM, CHROMIUM_ARGS, ROOT, Studio, register_in_browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium)")]

SR = 22050
SECONDS = 30.0
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
USER = "practiser"
#: Long names among them, so a squeezed lane would run them together.
SYMBOLS = ["C", "B♭m7", "F♯m7", "E♭maj7", "Gsus4", "A♭", "Dm7", "Bdim"]
CHORDS = [{"start": i * 0.5, "end": (i + 1) * 0.5, "root": 0, "quality": "maj", "label": "C:maj",
           "symbol": SYMBOLS[i % len(SYMBOLS)]} for i in range(60)]
NOTES = {"tempo_bpm": 120.0, "duration": SECONDS, "tracks": {"vocals": {"drums": False, "notes": [
    [2.0 + i, 2.8 + i, 60 + (i % 13), 100] for i in range(20)]}}}

SEED = """
import json, sys
from django.contrib.auth import get_user_model
from django.utils import timezone
from audio import storage
from audio.models import AudioFile, ProcessingJob
args = json.loads(sys.stdin.read())
user = get_user_model().objects.get(username=args["user"])
wav = open(args["wav"], "rb").read()
key = storage.save_bytes(storage.new_key(user.id, "audio", "wav"), wav)
af = AudioFile.objects.create(user=user, original_name="practice song.wav", s3_key=key, s3_bucket="local",
    file_size=len(wav), duration=args["seconds"], format="wav", sample_rate=args["sr"], channels=2,
    analysis=args["analysis"])
stems = {name: storage.save_bytes(storage.new_key(user.id, "stems", "wav"), wav) for name in ("vocals", "drums")}
done = dict(user=user, audio_file=af, status="completed", completed_at=timezone.now())
ProcessingJob.objects.create(job_type="stem_separation", result_s3_keys=stems, input_params={}, **done)
notes = storage.save_bytes(storage.new_key(user.id, "midi", "json"), json.dumps(args["notes"]).encode())
ProcessingJob.objects.create(job_type="transcription", result_s3_keys={"notes": notes},
    input_params={"source": "stems"}, result={"tracks": {"vocals": 20}}, **done)
print("AF", af.id)
"""


def song() -> np.ndarray:
    """A 440 Hz tone with a click on every beat (120 BPM): something to hear, 30 s long."""
    t = np.arange(int(SECONDS * SR)) / SR
    y = 0.2 * np.sin(2 * np.pi * 440 * t) + 0.5 * (np.mod(t, 0.5) < 0.01)
    return np.stack([y, y]).astype(np.float32)


def seed(studio: Studio, tmp) -> str:
    wav = tmp / "song.wav"
    wav.write_bytes(encode(song(), SR, "wav"))
    analysis = {"tempo_bpm": 120.0, "beats": [i * 0.5 for i in range(60)], "chords": CHORDS, "key": "C",
                "mode": "major", "duration": SECONDS}
    args = json.dumps({"user": USER, "wav": str(wav), "seconds": SECONDS, "sr": SR, "analysis": analysis,
                       "notes": NOTES})
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", SEED], input=args, cwd=ROOT, env=studio.env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("AF "))


class Session:
    def __init__(self, studio, browser, tmp, song_id):
        self.studio, self.browser, self.tmp, self.song_id = studio, browser, tmp, song_id
        self.context = None

    def open(self, viewport=DESKTOP, path=""):
        """A fresh page on the practice player (or ``path`` under it), signed in, the player ready."""
        page = self.context.new_page()
        page.set_viewport_size(viewport)
        page.goto(f"{self.studio.url}/practice/{self.song_id}/{path}")
        if not path:
            page.wait_for_selector("#practice[data-ready='1']", timeout=60_000)
        return page


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("practice_player")
    with Studio(tmp) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        register_in_browser(page, studio, USER)
        page.wait_for_url("**/", timeout=30_000)
        page.close()
        session = Session(studio, browser, tmp, seed(studio, tmp))
        session.context = context
        yield session
        browser.close()


def position(page) -> float:
    return page.evaluate("window.practicePlayer.state().position")


def test_the_song_ends_and_play_starts_it_again_from_the_top_or_loop_a(s):
    from playwright.sync_api import expect

    page = s.open()
    root, play = page.locator("#practice"), page.locator("#play")
    play.click()
    expect(root).to_have_attribute("data-playing", "1")
    page.evaluate("window.practicePlayer.seek(28.5)")
    expect(root).to_have_attribute("data-playing", "0", timeout=8_000)
    expect(play).to_have_text("▶ Play")
    expect(page.locator("#practice-status")).to_contain_text("ended")
    play.click()
    page.wait_for_timeout(1200)
    assert 0.2 < position(page) < 3.0, "Play after the end starts from the top"
    # With the loop on, a song played out past the loop starts again at loop A.
    page.evaluate("window.practicePlayer.setLoop(5, 10, true)")
    page.evaluate("window.practicePlayer.seek(28.5)")
    expect(root).to_have_attribute("data-playing", "0", timeout=8_000)
    play.click()
    page.wait_for_timeout(1200)
    assert 5.0 < position(page) < 10.0
    play.click()
    page.screenshot(path=str(s.tmp / "practice_end.png"), full_page=True)
    page.close()


def test_speed_transposition_loop_and_clicks_survive_a_reload(s):
    """A musician practising at 80 % with a loop lost all of it to a reload."""
    page = s.open()
    page.evaluate("window.practicePlayer.setSpeed(80); window.practicePlayer.setSemis(2);"
                  "window.practicePlayer.setLoop(4, 9, true)")
    page.locator("#metronome").check()
    page.reload()
    page.wait_for_selector("#practice[data-ready='1']")
    state = page.evaluate("window.practicePlayer.state()")
    assert (round(state["speed"], 2), state["semis"], state["a"], state["b"], state["loop"], state["metronome"]) == (
        0.8, 2, 4, 9, True, True)
    assert page.locator("#speed-value").text_content() == "80 %" and page.locator("#loop").is_checked()
    assert 4.0 <= position(page) < 9.0  # waiting at the loop's start
    page.close()
    fresh = s.open()  # another visit starts from the song as it is
    assert fresh.evaluate("window.practicePlayer.state().speed") == 1 and not fresh.locator("#loop").is_checked()
    fresh.close()


def test_loop_fields_refuse_an_a_past_the_end_and_a_b_before_a_and_say_why(s):
    from playwright.sync_api import expect

    page = s.open()
    page.evaluate("window.practicePlayer.setLoop(5, 10, true)")
    page.fill("#loop-b", "3")
    page.press("#loop-b", "Tab")
    expect(page.locator("#loop-message")).to_have_text("The loop's end must be after its start.")
    expect(page.locator("#loop-b")).to_have_value("10.00")
    state = page.evaluate("window.practicePlayer.state()")
    assert (state["a"], state["b"], state["loop"]) == (5, 10, True)
    page.fill("#loop-a", "40")
    page.press("#loop-a", "Tab")
    expect(page.locator("#loop-message")).to_contain_text("Loop A must be before the song's end")
    expect(page.locator("#loop-a")).to_have_value("5.00")
    assert position(page) < 29.0, "the playhead did not jump to the end"
    page.locator("#play").click()
    page.wait_for_timeout(1000)
    assert 5.0 <= position(page) < 10.0, "the loop still plays"
    page.fill("#loop-b", "8")
    page.press("#loop-b", "Tab")
    expect(page.locator("#loop-message")).to_have_text("")
    # A loop further on, typed A first: A past B moves B along (it used to be refused, and B alone then made
    # a loop from the old A), and the B typed next is taken.
    page.fill("#loop-a", "12")
    page.press("#loop-a", "Tab")
    expect(page.locator("#loop-message")).to_have_text("B moved to 15.00 s, after the new A.")
    page.fill("#loop-b", "20")
    page.press("#loop-b", "Tab")
    expect(page.locator("#loop-message")).to_have_text("")
    state = page.evaluate("window.practicePlayer.state()")
    assert (state["a"], state["b"]) == (12, 20)
    page.close()


def test_shortcuts_work_on_checkboxes_and_sliders_and_arrows_seek(s):
    from playwright.sync_api import expect

    page = s.open()
    root = page.locator("#practice")
    page.focus("#metronome")
    page.keyboard.press(" ")
    expect(root).to_have_attribute("data-playing", "1")
    assert not page.is_checked("#metronome"), "Space played instead of ticking the box"
    page.keyboard.press("]")
    expect(page.locator("#speed-value")).to_have_text("105 %")
    page.keyboard.press("m")
    assert page.is_checked("#metronome")
    page.focus("#speed")
    page.keyboard.press("[")
    expect(page.locator("#speed-value")).to_have_text("100 %")
    page.keyboard.press("+")
    expect(page.locator("#transpose-value")).to_have_text("+1")
    page.keyboard.press("l")
    expect(root).to_have_attribute("data-loop", "1")
    page.focus("#loop-a")  # a number field keeps its keys
    page.keyboard.press("l")
    expect(root).to_have_attribute("data-loop", "1")
    page.focus("#play")  # Space on a button presses that button, once
    page.keyboard.press(" ")
    expect(root).to_have_attribute("data-playing", "0")

    page.evaluate("window.practicePlayer.setLoop(3, 8, false)")
    page.evaluate("document.activeElement.blur(); window.practicePlayer.seek(10)")
    page.keyboard.press("ArrowRight")
    assert position(page) == pytest.approx(15.0, abs=0.01)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert position(page) == pytest.approx(5.0, abs=0.01)
    page.keyboard.press("Home")
    assert position(page) == pytest.approx(0.0, abs=0.01)
    page.keyboard.press("l")
    page.evaluate("window.practicePlayer.seek(6)")
    page.keyboard.press("Home")
    assert position(page) == pytest.approx(3.0, abs=0.01), "Home goes to loop A when the loop is on"
    assert "Home" in page.locator(".keys").text_content()
    page.close()


def test_chord_lane_on_a_phone_keeps_names_apart_and_follows_the_playhead(s):
    page = s.open(PHONE)
    cells = page.locator("#chord-lane .chord-cell")
    assert cells.count() == 60
    boxes = page.evaluate("""[...document.querySelectorAll('#chord-lane .chord-cell')].map((c) => {
        const r = c.getBoundingClientRect(); return {left: r.left, width: r.width, text: c.scrollWidth}; })""")
    for box in boxes:
        assert box["width"] >= 36 and box["width"] >= box["text"], box
    lefts = sorted(boxes, key=lambda b: b["left"])
    assert all(a["left"] + a["width"] <= b["left"] + 0.5 for a, b in pairwise(lefts)), "boxes overlap"

    page.evaluate("window.practicePlayer.seek(25.2)")
    page.wait_for_timeout(300)
    host = page.locator("#chord-lane").bounding_box()
    now = page.locator("#chord-lane .chord-cell.now")
    assert now.text_content() == SYMBOLS[50 % len(SYMBOLS)]
    box = now.bounding_box()
    assert host["x"] <= box["x"] and box["x"] + box["width"] <= host["x"] + host["width"], (host, box)
    page.screenshot(path=str(s.tmp / "practice_phone.png"), full_page=True)
    # A click on a chord still moves the playhead to it.
    target = cells.nth(48)
    target.click()
    assert position(page) == pytest.approx(24.0, abs=0.01)
    page.close()


def test_status_hint_stem_names_and_tap_targets(s):
    from playwright.sync_api import expect

    page = s.open()
    status = page.locator("#practice-status")
    expect(status).not_to_contain_text("Playing")
    expect(page.locator(".keys")).to_be_visible()
    mute = page.get_by_role("button", name="Mute vocals")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Solo drums")).to_have_attribute("aria-pressed", "false")
    page.locator("#play").click()
    expect(status).to_contain_text("Playing the 2 stems")
    page.locator("#play").click()
    expect(status).to_contain_text("Paused")
    page.close()

    phone = s.open(PHONE)
    expect(phone.locator(".keys")).to_be_hidden()
    for box_id in ("metronome", "count-in", "loop"):
        label = phone.locator(f"label:has(#{box_id})").bounding_box()
        assert label["width"] >= 24 and label["height"] >= 24, (box_id, label)
    phone.locator("label:has(#count-in)").click(position={"x": 2, "y": 2})
    assert phone.is_checked("#count-in"), "a tap at the label's corner ticks the box"
    # Everything stays inside the card, and the loop's A and B sit side by side, as do their two buttons.
    card = phone.locator("#practice").bounding_box()
    for part in ("#bpm-value", "#transpose-value", "#loop-b", "#set-b"):
        box = phone.locator(part).bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"] - 8, (part, box, card)
    boxes = {part: phone.locator(part).bounding_box() for part in ("#loop-a", "#loop-b", "#set-a", "#set-b")}
    assert abs(boxes["#loop-a"]["y"] - boxes["#loop-b"]["y"]) < 4
    assert abs(boxes["#set-a"]["y"] - boxes["#set-b"]["y"]) < 4
    phone.close()


def test_piano_roll_has_note_names_a_time_ruler_and_a_click_seeks(s):
    page = s.open(DESKTOP, "transcription/")
    canvas = page.locator("#pianoroll")
    page.wait_for_selector("#tracks input[type=checkbox]", timeout=30_000)
    page.wait_for_timeout(300)
    # Solid ink where the pitch axis and the ruler go: the notes start at 2 s and the black-key rows are shaded
    # faintly, so only the labels and ticks are drawn opaque there.
    ink = page.evaluate("""() => {
        const c = document.getElementById('pianoroll'), g = c.getContext('2d'), d = devicePixelRatio;
        const count = (x, y, w, h) => { const px = g.getImageData(x * d, y * d, w * d, h * d).data;
            let n = 0; for (let i = 3; i < px.length; i += 4) n += px[i] > 120; return n; };
        return {axis: count(3, 20, 26, c.clientHeight - 24), ruler: count(40, 0, c.clientWidth - 60, 12)}; }""")
    assert ink["axis"] > 20 and ink["ruler"] > 50, ink
    assert "C4" in canvas.get_attribute("data-note-labels")
    page.screenshot(path=str(s.tmp / "pianoroll.png"), full_page=True)
    box = canvas.bounding_box()
    # The view shows 20 s right of the 34 px axis: halfway along it is 10 s.
    canvas.click(position={"x": 34 + (box["width"] - 34) / 2, "y": box["height"] / 2})
    page.wait_for_function("Math.abs(document.getElementById('roll-audio').currentTime - 10) < 0.3", timeout=10_000)
    page.set_viewport_size(PHONE)
    label = page.locator("#tracks label").first.bounding_box()
    assert label["width"] >= 24 and label["height"] >= 24, label
    page.close()


def test_without_an_audio_worklet_the_player_still_plays_at_pitch(s):
    """Served over plain http:// to another machine, a page has no AudioWorklet (worklets need a secure origin):
    the same pitch processor then runs on the page's thread, and 80 % speed still sounds at the song's pitch."""
    page = s.context.new_page()
    page.add_init_script("Object.defineProperty(BaseAudioContext.prototype, 'audioWorklet', {get: () => undefined})")
    page.goto(f"{s.studio.url}/practice/{s.song_id}/")
    page.wait_for_selector("#practice[data-ready='1']", timeout=60_000)
    assert page.evaluate("window.practicePlayer.ctx.audioWorklet") is None
    page.evaluate("window.practicePlayer.setSpeed(80)")
    page.locator("#play").click()
    page.wait_for_timeout(1500)
    rec = page.evaluate("window.practicePlayer.capture(3.0)")
    page.close()
    x, sr = np.asarray(rec["samples"], dtype=np.float64), rec["sampleRate"]
    assert len(x) > 2 * sr and np.abs(x).max() > 0.05, "the page played nothing"
    n = 1 << int(np.ceil(np.log2(len(x) * 4)))
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    f = np.fft.rfftfreq(n, 1 / sr)
    band = (f > 250) & (f < 1000)
    peak = f[band][np.argmax(spec[band])]
    assert abs(1200 * np.log2(peak / 440.0)) < 10, f"the tone sounds at {peak:.1f} Hz"  # 352 Hz uncorrected
