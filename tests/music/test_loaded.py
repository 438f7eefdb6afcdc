"""Models kept loaded between jobs under a memory cap, and memory given back after a failure (CPU only: CUDA is
monkeypatched where its calls are what is checked)."""

from __future__ import annotations

import weakref

import pytest
import torch

from sonicai.music import loaded
from sonicai.music.loaded import LoadedModels, after_failure, is_out_of_memory, model_bytes


def linear(n: int) -> torch.nn.Module:
    return torch.nn.Linear(n, n, bias=False)  # n * n * 4 bytes


def test_models_stay_loaded_and_the_least_recently_used_goes_first_over_the_cap():
    cache = LoadedModels(cap_bytes=3 * 4 * 100 * 100)  # room for three 100x100 layers
    loads = []

    def load(key, n=100):
        return cache.get((key,), lambda: loads.append(key) or linear(n), "cpu")

    a, b, _ = load("a"), load("b"), load("c")
    assert load("a") is a and loads == ["a", "b", "c"]  # kept: not loaded again
    load("d")  # over the cap: b, the least recently used, is dropped
    assert cache.keys() == [("c",), ("a",), ("d",)] and cache.used("cpu") == 3 * 40_000
    assert load("b") is not b and loads[-1] == "b"


def test_a_size_hint_makes_room_before_loading():
    cache = LoadedModels(cap_bytes=2 * 40_000)
    cache.get(("a",), lambda: linear(100), "cpu")
    cache.get(("b",), lambda: linear(100), "cpu")

    def load_big():
        assert cache.keys() == [], "both small models are dropped before the big one loads"
        return linear(140)

    cache.get(("big",), load_big, "cpu", size_hint=4 * 140 * 140)
    assert cache.keys() == [("big",)]


def test_caps_are_per_device(monkeypatch):
    cache = LoadedModels(cap_bytes=40_000)
    cache.get(("gpu",), lambda: linear(100), "cuda:0")
    cache.get(("cpu",), lambda: linear(100), "cpu")
    assert cache.keys() == [("gpu",), ("cpu",)] and cache.used("cuda") == cache.used("cpu") == 40_000


def test_model_bytes_counts_modules_in_pipelines_and_tuples():
    class Pipeline:
        components = {"unet": linear(10), "tokenizer": object(), "vae": linear(20)}

    assert model_bytes(linear(10)) == 400
    assert model_bytes(Pipeline()) == 400 + 1600
    assert model_bytes((linear(10), "processor", True)) == 400


@pytest.fixture
def fake_cuda(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append("empty_cache"))
    return calls


def test_after_an_out_of_memory_error_no_model_is_kept_and_the_gpu_cache_is_emptied(fake_cuda, monkeypatch):
    cache = LoadedModels(cap_bytes=10**9)
    monkeypatch.setattr(loaded, "LOADED", cache)
    cache.get(("m",), lambda: linear(10), "cuda")
    try:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    except torch.OutOfMemoryError as exc:
        assert is_out_of_memory(exc)
        after_failure(exc)
        assert exc.__traceback__.tb_frame is not None
    assert cache.keys() == [] and "empty_cache" in fake_cuda


def test_after_another_failure_the_models_stay_and_the_jobs_tensors_are_freed(fake_cuda, monkeypatch):
    cache = LoadedModels(cap_bytes=10**9)
    monkeypatch.setattr(loaded, "LOADED", cache)
    cache.get(("m",), lambda: linear(10), "cuda")
    fake_cuda.clear()
    refs = []

    def job():
        activations = torch.zeros(1000)  # held only by the failing frame, as a job's tensors are
        refs.append(weakref.ref(activations))
        raise ValueError("bad input")

    try:
        job()
    except ValueError as exc:
        assert not is_out_of_memory(exc)
        assert refs[0]() is not None  # the traceback keeps the frame, and the frame the tensor
        after_failure(exc)
        assert refs[0]() is None  # freed although the exception is still alive
    assert cache.keys() == [("m",)] and fake_cuda == ["empty_cache"]
