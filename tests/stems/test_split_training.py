"""The split network's training loss (bench/train_split_net.py) is the error of the stems the studio returns."""

import torch

from sonicai.music.separation import split
from sonicai.music.separation.split_training import phase_parts, sdr_loss


def test_sdr_loss_is_minus_the_returned_stems_sdr():
    torch.manual_seed(0)
    b, f, t = 3, 40, 30
    acc = torch.randn(b, f, t, dtype=torch.complex64)
    # true drums, bass, other and the voice Spleeter left in the accompaniment; they sum to it
    drums, bass, voice = (torch.randn(b, f, t, dtype=torch.complex64) * 0.5 for _ in range(3))
    other = acc - drums - bass - voice
    spleeter_vocals = torch.randn(b, f, t, dtype=torch.complex64)
    vocals = spleeter_vocals + voice
    m = torch.softmax(torch.randn(b, 4, f, t), dim=1)  # the network's masks: drums, bass, other, voice

    parts = [phase_parts(s, acc) for s in (drums, bass, other, voice)]
    along = torch.stack([a for a, _ in parts], dim=1)
    across = torch.stack([c for _, c in parts], dim=1)
    vocal_energy = (vocals.abs() ** 2).sum(dim=1)
    loss = sdr_loss(m, acc.abs(), along, across, vocal_energy, torch.ones(4))

    # the same stems built the way split.py builds them, in the complex domain
    share = split.VOICE_SHARE
    est = {"drums": m[:, 0] * acc, "bass": m[:, 1] * acc, "other": (m[:, 2] + (1 - share) * m[:, 3]) * acc,
           "vocals": spleeter_vocals + share * m[:, 3] * acc}
    true = {"drums": drums, "bass": bass, "other": other, "vocals": vocals}
    floor = 1e-3 * (acc.abs() ** 2).sum(dim=(1, 2))
    sdrs = [10 * torch.log10(((true[k].abs() ** 2).sum(dim=(1, 2)) + floor)
                             / (((true[k] - est[k]).abs() ** 2).sum(dim=(1, 2)) + floor)) for k in true]
    assert torch.allclose(loss, -torch.stack(sdrs).mean(), atol=1e-3)


def test_phase_parts_keep_the_magnitude():
    target, acc = torch.randn(2, 5, 7, dtype=torch.complex64), torch.randn(2, 5, 7, dtype=torch.complex64)
    along, across = phase_parts(target, acc)
    assert torch.allclose(along**2 + across**2, target.abs() ** 2, atol=1e-5)
