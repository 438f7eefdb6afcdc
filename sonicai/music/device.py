"""Which torch device an engine runs on: the one rule for every engine and job."""

from __future__ import annotations


def torch_device(preference: str | None = None) -> str:
    """``preference`` as given ('cpu', 'cuda', 'cuda:1'); for None, '' or 'auto' the GPU when there is one, else
    the CPU."""
    if preference in (None, "", "auto"):
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return preference


class DeviceUnavailable(RuntimeError):
    """DEVICE names a device this machine does not have."""


def check_device(preference: str | None) -> str:
    """The device ``preference`` resolves to; DeviceUnavailable when it asks for CUDA and there is none (a CPU
    build of torch, no driver, or no GPU), so a GPU worker never runs its networks on the CPU unnoticed."""
    import torch

    device = torch_device(preference)
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            build = f"torch {torch.__version__}" + ("" if torch.version.cuda else ", a CPU-only build")
            raise DeviceUnavailable(f"DEVICE={preference} but CUDA is not available ({build}; "
                                    "`make gpu` installs the CUDA build, `nvidia-smi` checks the driver)")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"DEVICE={preference} but this machine has {torch.cuda.device_count()} GPU(s)")
    return device


def describe(device: str) -> str:
    """The device for a log line: "cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)" or "cpu (16 threads)"."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        index = int(device.partition(":")[2] or 0)
        props = torch.cuda.get_device_properties(index)
        return f"cuda:{index} ({props.name}, {props.total_memory / 2**30:.1f} GiB)"
    return f"cpu ({torch.get_num_threads()} threads)"
