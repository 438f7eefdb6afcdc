"""Worker start-up: the device each engine runs on, and no ai_heavy worker on a GPU that is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sonicai.worker_boot import WorkerRefused, boot, queues_from_argv

ROOT = Path(__file__).resolve().parents[2]


def test_queues_from_the_dramatiq_command_line():
    assert queues_from_argv(["dramatiq", "sonicai.worker", "--queues", "ai_heavy", "--processes", "1"]) == {"ai_heavy"}
    assert queues_from_argv(["x", "-Q", "default", "ai_heavy"]) == {"default", "ai_heavy"}
    assert queues_from_argv(["x", "--queues=default"]) == {"default"}
    assert queues_from_argv(["dramatiq", "sonicai.worker"]) == {"default", "ai_heavy"}  # all of them


def test_a_cuda_worker_without_cuda_refuses_to_start(settings):
    settings.TORCH_DEVICE = "cuda"
    with pytest.raises(WorkerRefused, match=r"refusing to start an ai_heavy worker: DEVICE=cuda but CUDA is not "
                                            r"available \(torch .*make gpu"):
        boot(["dramatiq", "sonicai.worker", "--queues", "ai_heavy"])
    # a worker for the default queue runs no network: it starts
    assert "analysis and DSP on the CPU" in boot(["dramatiq", "sonicai.worker", "--queues", "default"])[0]


def test_the_start_up_lines_name_the_device_of_every_engine(settings, monkeypatch, tmp_path):
    class Props:
        name, total_memory = "Fake GPU", 24 * 2**30

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: Props)
    settings.TORCH_DEVICE, settings.MODEL_MEMORY_GB, settings.MODELS_DIR = "cuda", 12.5, tmp_path
    lines = boot(["dramatiq", "sonicai.worker", "--queues", "ai_heavy"])
    assert lines[0] == ("ai_heavy worker: DEVICE=cuda -> cuda:0 (Fake GPU, 24.0 GiB); models kept loaded up to "
                        "12.5 GB on cuda (SONICAI_MODEL_MEMORY_GB)")
    assert lines[1].startswith("separation engines: spleeter, spleeter-4stems, spleeter-5stems, htdemucs")
    assert lines[1].endswith("on cuda; hpss on cpu")
    assert lines[2].startswith("generation engines: composer on cpu; musicgen-small")
    assert lines[2].endswith("riffusion-v1 on cuda")
    from sonicai.music.loaded import LOADED

    assert LOADED.cap("cuda") == 12_500_000_000


def test_an_auto_device_on_a_machine_without_gpu_says_so(settings):
    settings.TORCH_DEVICE = "auto"
    assert "(no GPU found: the networks run on the CPU)" in boot(["dramatiq", "sonicai.worker"])[0]


def test_the_real_worker_process_exits_non_zero_with_the_reason():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", DEVICE="cuda")
    proc = subprocess.run([sys.executable, "-m", "dramatiq", "sonicai.worker", "--queues", "ai_heavy", "--processes",
                           "1", "--threads", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "refusing to start an ai_heavy worker: DEVICE=cuda but CUDA is not available" in proc.stdout + proc.stderr


def test_a_worker_that_cannot_reach_the_database_refuses_to_start():
    """Such a worker (a wrong DATABASE_URL on one host) counted as live in /health and took jobs off the queue
    only to fail them before they could be claimed; they waited a minute for the sweep to send them again."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings",
               TEST_DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere")  # port 9: nothing listens
    proc = subprocess.run([sys.executable, "-m", "dramatiq", "sonicai.worker", "--queues", "default", "--processes",
                           "1", "--threads", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "refusing to start a worker: the database does not answer" in proc.stdout + proc.stderr


def test_the_gpu_requirements_pin_the_same_torch_as_the_cpu_build():
    """`make gpu` swaps the CPU build for PyPI's CUDA build of the same version, so constraints.txt still holds."""
    import re

    cpu = re.search(r"^torch==([\d.]+)\+cpu$", (ROOT / "requirements.txt").read_text(), re.M)
    gpu = re.search(r"^torch==([\d.]+)$", (ROOT / "requirements-gpu.txt").read_text(), re.M)
    locked = re.search(r"^torch==([\d.]+)$", (ROOT / "constraints.txt").read_text(), re.M)
    assert cpu and gpu and locked and cpu.group(1) == gpu.group(1) == locked.group(1)
    assert "requirements-gpu.txt" in (ROOT / "Makefile").read_text()


def test_a_stop_request_that_arrives_twice_at_once_stops_the_worker_once(monkeypatch):
    """systemd signals every process of the service, and Dramatiq's main process forwards its SIGTERM too: the
    worker's second SIGTERM meant "kill now" and failed its running job."""
    import signal
    import time

    from sonicai.worker_boot import one_stop_per_request

    calls = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(time.monotonic()))
    try:
        one_stop_per_request(window=0.5)
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)  # the same request, delivered twice
        assert len(calls) == 1  # Dramatiq's handler saw one: a graceful stop
        time.sleep(0.6)
        os.kill(os.getpid(), signal.SIGTERM)  # asked again later: Dramatiq's "kill now" still works
        assert len(calls) == 2
    finally:
        signal.signal(signal.SIGTERM, previous)
