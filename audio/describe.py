"""Words for musicians: what a job did (its parameters), genre and key names, download file names.

One place for these so the library, the file page, the jobs page and the downloads say the same thing.
Works on a job's stored ``input_params`` and ``result``; it knows parameter names, not the apps that use them.
"""

from __future__ import annotations

import re

from sonicai.music.notes import key_display

#: How genre names are written in pages (anything not listed is capitalised).
GENRE_LABELS = {"edm": "EDM", "hiphop": "Hip-hop", "lofi": "Lo-fi", "rnb": "R&B"}

JOB_LABELS = {
    "analysis": "Analysis", "stem_separation": "Stem separation", "mood_classify": "Mood", "remix": "Genre remix",
    "generate": "Generation", "pitch": "Pitch shift", "tempo": "Tempo change", "effects": "Effects",
    "stem_mix": "Stem export", "transcription": "Transcription", "model_install": "Model install",
}


#: What a render of the remix page did, in the order it applies them, by the parameter that asks for it.
_RENDER_STEPS = (("tempo", "tempo change"), ("pitch", "pitch shift"), ("effects", "effects"))


def job_label(job_type: str, params: dict | None = None) -> str:
    """ "Stem separation"; a remix-page render that did more than its job type names says all of it ("Tempo
    change, pitch shift and effects": one render listed as "Tempo change" had been shifted and reverbed too)."""
    label = JOB_LABELS.get(job_type, job_type.replace("_", " ").capitalize())
    p = params or {}
    if job_type not in dict(_RENDER_STEPS) or p.get("genre"):
        return label
    asked = {"tempo": job_type == "tempo" or p.get("target_bpm") is not None or p.get("tempo_change") is not None,
             "pitch": bool(p.get("pitch")), "effects": bool(p.get("effects"))}
    steps = [words for step, words in _RENDER_STEPS if asked[step] or step == job_type]
    if len(steps) < 2:
        return label
    text = f"{', '.join(steps[:-1])} and {steps[-1]}"
    return text[0].upper() + text[1:]


def genre_label(genre: str | None) -> str:
    if not genre:
        return ""
    return GENRE_LABELS.get(genre, genre.replace("_", " ").capitalize())


def clock(seconds: float | None) -> str:
    """1:05.5-style time for a region bound."""
    if seconds is None:
        return ""
    minutes, rest = divmod(float(seconds), 60)
    text = f"{int(minutes)}:{rest:04.1f}"
    return text[:-2] if text.endswith(".0") else text


def _signed(value: float, unit: str) -> str:
    return f"{value:+g} {unit}".replace("-", "−")


def _semitones(value: float) -> str:
    return _signed(value, "semitone" if abs(value) == 1 else "semitones")


def region_label(params: dict) -> str:
    """"0:05–0:15" for a job's region; "" for the whole song."""
    start, end = params.get("start"), params.get("end")
    if start is None and end is None:
        return ""
    return f"{clock(start or 0)}–{clock(end) if end is not None else 'end'}"


def region_in_file_name(params: dict) -> str:
    """"5–15 s" for a job's region, as a file name can hold it (no colon); "" for the whole song."""
    start, end = params.get("start"), params.get("end")
    if start is None and end is None:
        return ""
    start = float(start or 0.0)
    return f"{start:g}–{float(end):g} s" if end is not None else f"from {start:g} s"


def _effects(effects) -> str:
    if not effects:
        return ""
    if isinstance(effects, str):
        return f"{effects} preset"
    if isinstance(effects, dict):
        return f"{effects.get('preset')} preset" if "preset" in effects else "effects"
    names = [str(e.get("type", "?")).replace("_", " ") for e in effects
             if isinstance(e, dict) and e.get("enabled", True) is not False]  # a bypassed effect did nothing
    return "effects: " + ", ".join(names) if names else ""


def _tempo(params: dict, result: dict) -> str:
    bpm = result.get("target_bpm") or result.get("tempo_bpm") or params.get("target_bpm")
    if bpm:
        return f"{float(bpm):.0f} BPM"
    if params.get("tempo_change") is not None:
        return f"tempo {_signed(round(float(params['tempo_change']), 1), '%')}"
    return ""


def _gains(gains: dict) -> str:
    """Stem export gains (linear, 0 = muted) in words."""
    if not isinstance(gains, dict) or not gains:
        return ""
    on = [name for name, g in gains.items() if g]
    if len(on) == 1:
        return f"{on[0]} only"
    muted = [name for name, g in gains.items() if not g]
    parts = [f"{name} muted" for name in muted]
    import math

    parts += [f"{name} {_signed(round(20 * math.log10(g), 1), 'dB')}" for name, g in gains.items()
              if g and abs(g - 1.0) > 1e-3]
    return ", ".join(parts) or "full mix"


def job_details(job_type: str, params: dict | None, result: dict | None = None) -> list[str]:
    """The parameters of a job as short phrases, e.g. ["Lo-fi", "90 BPM", "+2 semitones", "0:10–0:22"]."""
    p, r = params or {}, result or {}
    out: list[str] = []
    if job_type == "stem_separation":
        out.append(str(p.get("engine") or r.get("engine") or ""))
        out.append(region_label(p) or "whole song")  # a song's stem sets differ by their region
    elif job_type == "stem_mix":
        out += [_gains(p.get("gains")), str(p.get("format", "")).upper()]
    elif job_type == "generate":
        prompt = " ".join(str(p.get("prompt", "")).split())
        out += [f"“{prompt[:60]}{'…' if len(prompt) > 60 else ''}”" if prompt else "", str(p.get("model", "")),
                f"{float(p['duration']):g} s" if p.get("duration") else "",  # 12.5 s was "12 s"
                f"seed {p['seed']}" if p.get("seed") is not None else ""]
    elif job_type in ("remix", "tempo", "pitch", "effects"):
        if p.get("genre"):
            out.append(genre_label(p["genre"]))
            if p.get("genre_engine") and p["genre_engine"] != "arranger":
                out.append(str(p["genre_engine"]))
        out.append(_tempo(p, r) if (p.get("genre") or job_type == "tempo") else "")
        if p.get("pitch"):
            out.append(_semitones(float(p["pitch"])))
        if p.get("preserve_formants") and (p.get("pitch") or job_type == "tempo"):
            out.append("formants kept")
        out.append(_effects(p.get("effects")))
    elif job_type == "transcription":  # several transcriptions of one song differ by what they read
        source = str(p.get("source") or "stems")
        out.append({"stems": "every stem", "mix": "the mix"}.get(source, f"the {source}"))
    if job_type not in ("stem_mix", "stem_separation"):
        out.append(region_label(p))
    if job_type in ("remix", "tempo", "pitch", "effects") and float(r.get("turned_down_db") or 0) <= -0.5:
        # the gain the render was turned down by (negative dB): +24 dB of gain came out 1 dB louder, unexplained
        out.append(f"turned down {-float(r['turned_down_db']):.0f} dB to stay under full scale")
    return [x for x in out if x]


def job_summary(job) -> str:
    return " · ".join(job_details(job.job_type, job.input_params, job.result))


def is_silent(analysis: dict | None) -> bool:
    """Whether the analysis heard digital silence (no true peak); the estimators still answer something for it."""
    loudness = (analysis or {}).get("loudness")
    return isinstance(loudness, dict) and "true_peak_dbtp" in loudness and loudness["true_peak_dbtp"] is None


def analysis_key(analysis: dict | None) -> str:
    """ "B♭ major" from a stored analysis (whose ``key`` is the contract's sharp spelling); "B♭ major
    (uncertain)" when the analysis flags the key as more likely wrong than right."""
    analysis = analysis or {}
    if is_silent(analysis):
        return "none (silent)"  # not "C major"
    name = key_display(analysis.get("key"), analysis.get("mode"))
    return f"{name} (uncertain)" if name and analysis.get("key_uncertain") else name


def song_title(name: str) -> str:
    """A file's display name without its extension: the start of every download name."""
    base = name.rsplit(".", 1)[0] if "." in name[-6:] else name
    return base.strip() or "audio"


_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')


def download_name(title: str, what: str | None, ext: str) -> str:
    """ "My Song - vocals.wav"; characters that file systems refuse are dropped."""
    stem = f"{title} - {what}" if what else title
    stem = " ".join(_UNSAFE.sub(" ", stem).split()).strip(" .") or "audio"
    return f"{stem[:150]}.{ext.lstrip('.')}"


def remix_name(title: str, job_type: str, params: dict, result: dict | None = None) -> str:
    """The display name of a remix result: "My Song (lo-fi remix, 80 BPM).wav", "My Song (120 BPM, +2 semitones).wav".
    A region is named by its times whatever else was done to it (the page's genre preview is such a region)."""
    p = params or {}
    words: list[str] = []
    if p.get("genre"):
        words.append(f"{genre_label(p['genre']).lower() if p['genre'] != 'edm' else 'EDM'} remix")
        if p.get("target_bpm"):
            words.append(f"{float(p['target_bpm']):.0f} BPM")
    elif job_type == "tempo" or p.get("target_bpm") or p.get("tempo_change") is not None:
        words.append(_tempo(p, result or {}))
    if p.get("pitch"):
        words.append(_semitones(float(p["pitch"])))
    if p.get("effects") and not words:
        words.append(_effects(p["effects"]).replace("effects: ", "") or "effects")
    elif p.get("effects"):
        words.append("effects")
    words.append(region_label(p))
    return f"{title} ({', '.join(w for w in words if w) or 'remix'}).wav"
