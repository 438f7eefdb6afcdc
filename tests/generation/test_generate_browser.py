"""The generate and remix pages in headless Chromium: a running generation survives a reload, the MIDI download,
chip states, the effect rack's names and values, a too-short region said before sending, contrast and tap sizes."""

from dataclasses import dataclass

import pytest

from tests.conftest import SR, encode, tone
from tests.studio import CHROMIUM, CHROMIUM_ARGS, Studio, register_in_browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium)")]

JOB_WAIT = 240_000


@dataclass
class Session:
    studio: Studio
    browser: object
    page: object
    song_id: str = ""


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("generate")
    song = tmp / "short song.wav"
    song.write_bytes(encode(tone(6.0), SR, "wav"))
    with Studio(tmp) as studio, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
        register_in_browser(page, studio, "composer")
        page.set_input_files("#file-input", str(song))
        page.wait_for_url("**/files/**", timeout=30_000)
        session = Session(studio, browser, page, page.url.rstrip("/").rsplit("/", 1)[-1])
        yield session
        browser.close()


def _generate(page, prompt: str, seconds: int) -> str:
    page.fill("#prompt", prompt)
    page.fill("#duration", str(seconds))
    with page.expect_response("**/api/v1/generate/text-to-music") as res:
        page.click("#generate")
    assert res.value.status == 202, res.value.text()
    return res.value.json()["job_id"]


def test_a_running_generation_is_shown_again_after_a_reload(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/generate/")
    long_job = _generate(page, "slow ambient pads", 300)
    page.wait_for_timeout(1500)
    page.reload()
    row = page.locator(f'#jobs .job[data-job-id="{long_job}"]')
    expect(row).to_be_visible()
    expect(row.locator(".progress")).to_be_visible()
    expect(row).to_have_attribute("data-job-status", "processing", timeout=60_000)  # live again
    row.locator(".job-cancel").click()
    expect(row).to_have_attribute("data-job-status", "cancelled", timeout=60_000)

    short_job = _generate(page, "calm piano, 90 bpm", 30)
    page.reload()
    expect(page.locator(f'#jobs .job[data-job-id="{short_job}"]')).to_be_visible()
    # finished after the reload: the gallery lists it as it does for a generation started on the same page
    track = page.locator("#gallery .track")
    expect(track).to_have_count(1, timeout=JOB_WAIT)
    expect(track.locator("audio")).to_have_count(1)


def test_the_gallery_offers_the_midi_file_by_name(s):
    page = s.page
    page.goto(f"{s.studio.url}/generate/")
    with page.expect_download() as dl:
        page.locator("#gallery .track a:has-text('MIDI')").click()
    assert dl.value.suggested_filename == "calm piano, 90 bpm.mid"
    with open(dl.value.path(), "rb") as f:
        assert f.read(4) == b"MThd"


def test_chips_say_whether_they_are_pressed(s):
    page = s.page
    page.goto(f"{s.studio.url}/generate/")
    piano = page.locator("#generate-studio .chip[data-word=piano]")
    assert piano.get_attribute("aria-pressed") == "false"
    piano.click()
    assert piano.get_attribute("aria-pressed") == "true"
    page.fill("#prompt", "")
    page.dispatch_event("#prompt", "input")
    assert piano.get_attribute("aria-pressed") == "false"


def test_effect_rack_values_below_1_hz_and_named_buttons(s):
    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    page.select_option("#preset", "lofi-tape")
    page.click("#preset-load")
    chorus = page.locator("#rack .fx[data-type=chorus]")
    rate = chorus.locator("label.control", has=page.locator("input[data-param=rate_hz]"))
    assert rate.locator("output").text_content() == "0.4 Hz"
    assert rate.locator("span").first.text_content() == "Rate (0.05 Hz to 10 Hz)"
    assert chorus.locator(".fx-up").get_attribute("aria-label") == "Move chorus up"
    assert chorus.locator(".fx-down").get_attribute("aria-label") == "Move chorus down"
    assert chorus.locator(".fx-remove").get_attribute("aria-label") == "Remove chorus"


def test_a_preset_replaces_the_chain_only_when_asked(s):
    """Browsing the preset list with the arrow keys loaded every preset it passed, throwing away the chain the
    musician had built; now the list only chooses, "Load preset" loads, and asks first over a chain."""
    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    types = lambda: page.eval_on_selector_all("#rack .fx", "els => els.map((e) => e.dataset.type)")  # noqa: E731
    for fx in ("delay", "chorus"):
        page.select_option("#fx-type", fx)
        page.click("#fx-add")
    page.focus("#preset")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#preset") != "" and types() == ["delay", "chorus"]
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#preset-load")
    assert asked and "Replace the 2 effects" in asked[0] and types() == ["delay", "chorus"]
    page.once("dialog", lambda d: d.accept())
    page.select_option("#preset", "telephone")
    page.click("#preset-load")
    assert "distortion" in types() and "delay" not in types()


def test_focus_stays_with_an_effect_moved_or_removed_from_the_keyboard(s):
    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    for fx in ("reverb", "eq", "delay"):
        page.select_option("#fx-type", fx)
        page.click("#fx-add")
    focused = lambda: page.evaluate("document.activeElement.getAttribute('aria-label')")  # noqa: E731
    page.focus('#rack .fx[data-type=delay] .fx-up')
    page.keyboard.press("Enter")
    assert focused() == "Move delay up"
    page.keyboard.press("Enter")  # now first: its up arrow is disabled, so focus goes to its down arrow
    assert focused() == "Move delay down"
    page.focus('#rack .fx[data-type=eq] .fx-remove')
    page.keyboard.press("Enter")
    assert focused() == "Remove reverb"  # the neighbour that took the removed one's place


def test_a_region_too_short_to_render_is_refused_before_sending(s):
    from playwright.sync_api import expect

    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    page.select_option("#preset", "lofi-tape")
    page.click("#preset-load")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/remix/" in r.url and r.method == "POST" else None)
    page.fill("#start", "5.5")
    page.click("#render")
    err = page.locator("#remix-studio .form-error")
    expect(err).to_have_text(
        "The region must be at least 1 s long and the song lasts 6.0 s: start it at 5.0 s or earlier.")
    assert page.get_attribute("#start", "aria-invalid") == "true"
    page.fill("#start", "3")
    page.fill("#end", "2")
    page.click("#render")
    expect(err).to_have_text(
        "The region must be at least 1 s long: set its end to 4 s or later (it is 2 s, the start is 3 s).")
    assert sent == [] and page.locator("#jobs .job").count() == 0


def _contrast(fg: str, bg: str) -> float:
    def lum(rgb: str) -> float:
        parts = [float(x) / 255 for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _colours(page, selector: str) -> tuple[str, str]:
    return page.eval_on_selector(selector, "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")


def test_text_on_the_accent_reaches_wcag_aa(s):
    page = s.page
    page.goto(f"{s.studio.url}/remix/{s.song_id}/")
    assert _contrast(*_colours(page, "#render")) >= 4.5
    page.locator("#genres .chip").first.click()
    assert _contrast(*_colours(page, "#genres .chip.on")) >= 4.5
    page.goto(f"{s.studio.url}/generate/")
    assert _contrast(*_colours(page, "#generate")) >= 4.5


def test_small_links_and_checkboxes_are_big_enough_to_tap_on_a_phone(s):
    page = s.page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"{s.studio.url}/generate/")
        links = page.locator("#gallery .track p.small a, #gallery .track button.link")
        assert links.count() >= 6
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box["height"] >= 24, (links.nth(i).text_content(), box)
        audio = page.locator("#gallery audio").first
        audio.focus()
        assert page.eval_on_selector("#gallery audio", "el => getComputedStyle(el).outlineStyle") != "none"
        page.goto(f"{s.studio.url}/remix/{s.song_id}/")
        box = page.locator("#formants").bounding_box()
        assert box["height"] >= 20 and box["width"] >= 20
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
