"""Beat tracking on a beat activation function with a dynamic Bayesian network (the "bar pointer" model).

The model of Krebs, Böck & Widmer ("An efficient state space model for joint tempo and meter tracking",
ISMIR 2015), as madmom's ``DBNBeatTrackingProcessor`` uses it on the RNN beat activation: a hidden state is
(beat interval in frames, position inside the beat). The position advances one frame at a time; only at
the end of a beat may the interval change, with probability ``exp(-lambda * |new / old - 1|)``. Frames
in the first 1/``observation_lambda`` of a beat are "beat" frames and observe the activation, the others
observe ``(1 - activation) / (observation_lambda - 1)``. The Viterbi path gives the beats and, through
their intervals, the tempo.

Written here rather than imported: madmom's package cannot be imported as installed (see
docs/madmom_port.md), and the Viterbi pass over this sparse model is a few lines of numpy: within a beat the
best predecessor of a state is fixed (the previous position), so each frame needs only the
interval-to-interval maximum at beat boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRANSITION_LAMBDA = 100.0
OBSERVATION_LAMBDA = 16
MIN_BPM = 55.0
MAX_BPM = 215.0
_TINY = np.finfo(np.float64).tiny


@dataclass
class BeatStates:
    intervals: np.ndarray  # beat lengths in frames, one per tempo
    first: np.ndarray  # index of each interval's first state
    last: np.ndarray  # index of each interval's last state
    beat_state: np.ndarray  # bool per state: inside the "beat" part of its interval

    @classmethod
    def build(cls, fps: float, min_bpm: float, max_bpm: float, observation_lambda: int) -> BeatStates:
        intervals = np.arange(np.round(60.0 * fps / max_bpm), np.round(60.0 * fps / min_bpm) + 1).astype(int)
        first = np.concatenate([[0], np.cumsum(intervals)[:-1]])
        last = np.cumsum(intervals) - 1
        position = np.concatenate([np.arange(n) / n for n in intervals])
        return cls(intervals, first, last, position < 1.0 / observation_lambda)


def _log_transitions(intervals: np.ndarray, transition_lambda: float) -> np.ndarray:
    """(from interval, to interval) log probabilities of the tempo change at a beat boundary."""
    ratio = intervals[None, :] / intervals[:, None]
    prob = np.exp(-transition_lambda * np.abs(ratio - 1.0))
    prob /= prob.sum(axis=1, keepdims=True)
    return np.log(np.maximum(prob, _TINY))


def viterbi_path(activation: np.ndarray, states: BeatStates, transition_lambda: float,
                 observation_lambda: int) -> np.ndarray:
    """Most likely state per frame."""
    act = np.clip(np.asarray(activation, dtype=np.float64), 0.0, 1.0)
    log_beat = np.log(np.maximum(act, _TINY))
    log_other = np.log(np.maximum((1.0 - act) / (observation_lambda - 1), _TINY))
    trans = _log_transitions(states.intervals, transition_lambda)
    n_states = int(states.last[-1]) + 1
    shift = np.arange(-1, n_states - 1)  # predecessor of a state inside its interval
    # the number of states is the same at every frame, so uniform start probabilities are a constant
    delta = np.where(states.beat_state, log_beat[0], log_other[0])
    best_from = np.empty((len(act), len(states.intervals)), dtype=np.int16)
    for t in range(1, len(act)):
        boundary = delta[states.last][:, None] + trans  # (from, to)
        best_from[t] = boundary.argmax(axis=0)
        new = delta[shift]
        new[states.first] = boundary.max(axis=0)
        delta = new + np.where(states.beat_state, log_beat[t], log_other[t])
    path = np.empty(len(act), dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    interval_of = np.searchsorted(states.last, np.arange(n_states))
    for t in range(len(act) - 1, 0, -1):
        s = path[t]
        k = int(interval_of[s])
        path[t - 1] = states.last[best_from[t, k]] if s == states.first[k] else s - 1
    return path


def track_beats(activation: np.ndarray, fps: float, min_bpm: float = MIN_BPM, max_bpm: float = MAX_BPM,
                transition_lambda: float = TRANSITION_LAMBDA,
                observation_lambda: int = OBSERVATION_LAMBDA) -> np.ndarray:
    """Beat times (seconds) of a beat activation function sampled at ``fps``.

    Each stretch of the path through "beat" states becomes one beat, placed on the activation's maximum in
    that stretch (madmom's ``correct=True``), so beats land on the onsets rather than on a grid. Unlike
    madmom, beats the path runs through before the music starts or after it ends (activation under a quarter
    of the beats' median) are dropped: a click track should not tick over silence. Inside the music a
    missing beat is still bridged."""
    act = np.asarray(activation, dtype=np.float64)
    if len(act) < 2:
        return np.zeros(0)
    states = BeatStates.build(fps, min_bpm, max_bpm, observation_lambda)
    path = viterbi_path(act, states, transition_lambda, observation_lambda)
    on_beat = states.beat_state[path]
    edges = np.diff(np.concatenate([[0], on_beat.astype(np.int8), [0]]))
    starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    frames = np.array([lo + int(np.argmax(act[lo:hi])) for lo, hi in zip(starts, stops, strict=True)], dtype=int)
    if len(frames):
        strong = np.nonzero(act[frames] >= 0.25 * np.median(act[frames]))[0]
        frames = frames[strong[0] : strong[-1] + 1] if len(strong) else frames[:0]
    return frames / fps
