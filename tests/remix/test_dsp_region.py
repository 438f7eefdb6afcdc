"""Region remixes: validation, and only the region comes back processed."""

import numpy as np
import pytest

from sonicai.music.transform.region import RegionError, cut_region, process_region

SR = 8000


def test_cut_region_returns_exact_samples():
    x = np.arange(2 * 10 * SR, dtype=np.float32).reshape(2, -1)
    out = cut_region(x, SR, 2.0, 5.5)
    np.testing.assert_array_equal(out, x[:, 2 * SR: int(5.5 * SR)])
    assert cut_region(x, SR, None, None).shape == x.shape


@pytest.mark.parametrize("start, end", [(-1, 3), (3, 2), (2, 2.5), (0, 11), (float("nan"), 3)])
def test_bad_regions_are_rejected(start, end):
    with pytest.raises(RegionError):
        cut_region(np.zeros((2, 10 * SR), np.float32), SR, start, end)


def test_process_region_processes_only_the_region():
    x = np.ones((2, 10 * SR), np.float32)
    out = process_region(x, SR, 1.0, 3.0, lambda a, sr: a * 0.5)
    assert out.shape == (2, 2 * SR) and np.all(out == 0.5)
    assert np.all(x == 1.0)  # the source is untouched
