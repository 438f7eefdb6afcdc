"""The practice player in headless Chromium: loop a region at 70 % speed with the metronome on, record what the
page sends to the speakers, and check that the pitch is unchanged and that the clicks land on the music's beats."""

import numpy as np
import pytest

from tests.conftest import encode
from tests.studio import CHROMIUM, CHROMIUM_ARGS, Studio, register_in_browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium)")]

SR = 44100
TONE = 440.0
BEAT = 0.5  # 120 BPM


def beat_song(seconds: float = 14.0) -> np.ndarray:
    """A steady 440 Hz tone over a kick-like 60 Hz thump on every beat (120 BPM)."""
    t = np.arange(int(seconds * SR)) / SR
    y = 0.2 * np.sin(2 * np.pi * TONE * t)
    for b in np.arange(0.0, seconds, BEAT):
        i = int(b * SR)
        n = min(int(0.12 * SR), len(t) - i)
        k = np.arange(n) / SR
        y[i:i + n] += 0.8 * np.sin(2 * np.pi * 60 * k) * np.exp(-k / 0.03)
    return np.stack([y, y]).astype(np.float32)


def band_envelope(x: np.ndarray, sr: int, lo: float, hi: float, smooth: float = 0.004) -> np.ndarray:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / sr)
    spec[(f < lo) | (f > hi)] = 0
    band = np.fft.irfft(spec, len(x))
    w = max(1, int(smooth * sr))
    return np.convolve(np.abs(band), np.ones(w) / w, mode="same")


def onsets(env: np.ndarray, sr: int, rel: float = 0.3, gap: float = 0.25) -> np.ndarray:
    """Times where the envelope first rises above ``rel`` of its maximum, at least ``gap`` apart."""
    above = env > rel * env.max()
    rises = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    out = []
    for i in rises:
        if not out or (i - out[-1]) / sr > gap:
            out.append(i)
    return np.array(out) / sr


def dominant_frequency(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    n = 1 << int(np.ceil(np.log2(len(x) * 4)))
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    f = np.fft.rfftfreq(n, 1 / sr)
    band = np.flatnonzero((f > lo) & (f < hi))
    k = band[np.argmax(spec[band])]
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-12)
    return float(f[k] + 0.5 * (a - c) / (a - 2 * b + c) * (f[1] - f[0]))


def test_loop_at_70_percent_keeps_pitch_and_clicks_on_the_beat(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    song = tmp_path / "beat song.wav"
    song.write_bytes(encode(beat_song(), SR, "wav"))
    with Studio(tmp_path) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        console = []
        page.on("console", lambda m: m.type in ("warning", "error") and console.append(m.text))
        register_in_browser(page, studio, "practiser")
        page.set_input_files("#file-input", str(song))
        page.wait_for_url("**/files/**", timeout=30_000)
        file_id = page.url.rstrip("/").split("/")[-1]
        expect(page.locator("#tempo")).to_contain_text("BPM", timeout=180_000)
        page.goto(f"{studio.url}/practice/{file_id}/")
        expect(page.locator("#practice")).to_have_attribute("data-ready", "1", timeout=60_000)
        assert page.locator("#chord-lane .chord-cell").count() >= 1
        beats = page.evaluate("JSON.parse(document.getElementById('practice-data').textContent).beats")
        assert len(beats) >= 16
        # Transposed +2, the key and the chords are named as they now sound; back at 0, as before.
        key_before = page.locator("#key-name").text_content()
        chords_before = page.locator("#chord-lane .chord-cell").all_text_contents()
        page.keyboard.press("+")
        page.keyboard.press("+")
        expect(page.locator("#transpose-value")).to_have_text("+2")
        sharp = {"C": 0, "C♯": 1, "D♭": 1, "D": 2, "D♯": 3, "E♭": 3, "E": 4, "F": 5, "F♯": 6, "G♭": 6, "G": 7,
                 "G♯": 8, "A♭": 8, "A": 9, "A♯": 10, "B♭": 10, "B": 11, "C♭": 11, "F♭": 4, "E♯": 5, "B♯": 0}
        tonic = key_before.split()[0]
        assert page.locator("#key-name").text_content().split()[0] in {
            n for n, pc in sharp.items() if pc == (sharp[tonic] + 2) % 12}
        moved = page.locator("#chord-lane .chord-cell").all_text_contents()
        # spelled as the server spells the key they land in (the page's sharp-or-flat lists gave A♭dim in A minor)
        names = page.evaluate("JSON.parse(document.getElementById('practice-data').textContent).spellings")
        landed = names[(sharp[tonic] + 2) % 12]
        for before, after in zip(chords_before, moved, strict=True):
            root_before = before[:2] if before[1:2] in ("♯", "♭") else before[:1]
            root_after = after[:2] if after[1:2] in ("♯", "♭") else after[:1]
            if root_before in sharp:
                assert sharp[root_after] == (sharp[root_before] + 2) % 12, (before, after)
                assert root_after == landed[sharp[root_after]], (before, after, landed)
        page.keyboard.press("-")
        page.keyboard.press("-")
        assert page.locator("#chord-lane .chord-cell").all_text_contents() == chords_before
        assert page.locator("#key-name").text_content() == key_before

        # Loop 3.0-7.0 s at 70 %, metronome on, through the keyboard shortcuts where there is one.
        page.evaluate("window.practicePlayer.setLoop(3.0, 7.0, false)")
        page.keyboard.press("l")
        for _ in range(6):
            page.keyboard.press("[")  # 100 % -> 70 % in steps of 5
        page.keyboard.press("m")
        expect(page.locator("#speed-value")).to_have_text("70 %")
        expect(page.locator("#practice")).to_have_attribute("data-loop", "1")
        page.keyboard.press(" ")
        expect(page.locator("#practice")).to_have_attribute("data-playing", "1")
        page.wait_for_timeout(1500)
        rec = page.evaluate("window.practicePlayer.capture(7.0)")
        positions = [page.evaluate("window.practicePlayer.state().position") for _ in range(1)]
        page.screenshot(path=str(tmp_path / "practice.png"), full_page=True)

        # A speed change while playing carries on from the same moment (it used to recount the time played so
        # far at the new speed: 2.6 s at 100 % became 1.3 s at 50 %).
        position = "window.practicePlayer.state().position"
        page.evaluate("window.practicePlayer.setLoop(3.0, 7.0, false)")
        page.evaluate("window.practicePlayer.seek(2.0)")
        page.wait_for_timeout(2000)
        before_speed = page.evaluate(position)
        page.evaluate("window.practicePlayer.setSpeed(50)")
        page.wait_for_timeout(400)
        after_speed = page.evaluate(position)
        # A loop switched on while the song plays past it takes the player into the loop.
        page.wait_for_timeout(1000)
        outside = page.evaluate(position)
        page.evaluate(f"window.practicePlayer.setLoop(2.0, {outside - 0.3:.2f}, true)")
        page.wait_for_timeout(300)
        in_loop = page.evaluate(position)
        browser.close()

    x = np.asarray(rec["samples"], dtype=np.float64)
    sr = rec["sampleRate"]
    # Nothing the browser warns about: the pitch processor runs on the audio thread (an AudioWorklet; the
    # ScriptProcessorNode it replaced ran on the page's thread and Chromium warns that it is deprecated).
    assert console == []
    assert len(x) > 6 * sr and np.abs(x).max() > 0.05, "the page played nothing"
    assert all(3.0 - 0.2 <= p <= 7.0 + 0.2 for p in positions)
    assert 0.0 < after_speed - before_speed < 0.5, (before_speed, after_speed)
    assert 2.0 <= in_loop <= outside - 0.3, (outside, in_loop)

    # Pitch: the 440 Hz tone is still at 440 Hz (the sources play at 0.7x, i.e. 308 Hz, before the correction).
    f = dominant_frequency(x, sr, 250.0, 1000.0)
    cents = 1200 * np.log2(f / TONE)
    assert abs(cents) < 5.0, f"tone at {f:.2f} Hz ({cents:+.1f} cents)"

    # Beats of the music as heard (thumps, below 150 Hz) and metronome clicks (1.5/2 kHz bursts).
    thumps = onsets(band_envelope(x, sr, 30.0, 150.0), sr)
    clicks = onsets(band_envelope(x, sr, 1200.0, 2600.0), sr)
    period = BEAT / 0.7
    assert len(clicks) >= 7, clicks
    # The clicks keep the slowed-down beat, across the loop's wrap (4 s of song = 8 beats, so the grid holds).
    assert np.median(np.diff(clicks)) == pytest.approx(period, abs=0.02)
    # Every click sits on a thump of the music the listener hears.
    offsets = np.array([np.min(np.abs(thumps - c)) for c in clicks])
    assert np.all(offsets < 0.03), np.round(offsets, 3)
