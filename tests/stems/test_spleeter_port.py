"""The Spleeter port's fast paths compute exactly what the layers they replace compute, so the port stays
the one proven against the original (docs/stems.md)."""

import torch
from torch import nn
from torch.nn import functional as F

from sonicai.music.separation.spleeter import FRAME_LENGTH, FRAME_STEP, overlap_add, polyphase_deconv, polyphase_weight


def test_polyphase_convolution_is_the_transposed_convolution():
    torch.manual_seed(0)
    for cin, cout, size in ((64, 16, (12, 20)), (32, 1, (9, 14)), (8, 3, (5, 5))):
        deconv = nn.ConvTranspose2d(cin, cout, 5, stride=2).eval()
        x = torch.randn(2, cin, *size)
        with torch.no_grad():
            want = deconv(x)
            got = polyphase_deconv(x, polyphase_weight(deconv.weight), deconv.bias)
        # everything but the last row and column, which the U-Net crops anyway
        assert got.shape[-2:] == (want.shape[-2] - 1, want.shape[-1] - 1)
        torch.testing.assert_close(got, want[..., :-1, :-1], atol=1e-5, rtol=1e-5)


def test_overlap_add_is_fold():
    frames = torch.randn(2, FRAME_LENGTH, 37)
    length = 36 * FRAME_STEP + FRAME_LENGTH
    want = F.fold(frames, output_size=(1, length), kernel_size=(1, FRAME_LENGTH),
                  stride=(1, FRAME_STEP)).reshape(2, length)
    torch.testing.assert_close(overlap_add(frames), want, atol=1e-5, rtol=1e-5)
