// Drawing shared by the file player, the mixer lanes and the A/B comparison: a waveform with a peak layer and
// an RMS layer computed from the decoded samples for each pixel column (so it stays sharp at every zoom),
// time labels in m:ss, and a frequency axis for the mel-scaled spectrogram.
"use strict";

(function () {
  const PEAK = "rgba(124, 108, 242, 0.55)";
  const RMS = "rgba(201, 167, 255, 1)";

  function fmtTime(s, decimals = 1) {
    s = Math.max(0, s || 0);
    const m = Math.floor(s / 60);
    const rest = s - m * 60;
    return `${m}:${rest.toFixed(decimals).padStart(decimals ? 3 + decimals : 2, "0")}`;
  }

  function globalPeak(channels) {
    let peak = 1e-6;
    for (const ch of channels) for (let i = 0; i < ch.length; i++) { const v = Math.abs(ch[i]); if (v > peak) peak = v; }
    return peak;
  }

  // Draw per-column extremes (hi, lo) as the peak layer and the RMS as the brighter inner layer.
  function drawColumns(ctx, hi, lo, rms, peak, colours) {
    const { width, height } = ctx.canvas;
    const mid = height / 2, scale = (height / 2) * 0.96 / (peak || 1);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = (colours && colours.peak) || PEAK;
    for (let x = 0; x < width; x++) ctx.fillRect(x, mid - hi[x] * scale, 1, Math.max(1, (hi[x] - lo[x]) * scale));
    ctx.fillStyle = (colours && colours.rms) || RMS;
    for (let x = 0; x < width; x++) ctx.fillRect(x, mid - rms[x] * scale, 1, Math.max(1, 2 * rms[x] * scale));
  }

  // Peak (min/max) and RMS of each pixel column of `channels` (Float32Arrays, one or two), sample ranges given
  // by `range(x) -> [i0, i1]` (default: the channels spread evenly over the canvas). `peak` normalises the height
  // so quiet songs still fill the lane; both layers share the centre line.
  function drawLayers(ctx, channels, peak, colours, range) {
    const width = ctx.canvas.width;
    const a = channels[0], b = channels[1] || channels[0];
    const n = Math.min(a.length, b.length);
    const hi = new Float32Array(width), lo = new Float32Array(width), rms = new Float32Array(width);
    const step = n / (width || 1);
    for (let x = 0; x < width && n; x++) {
      let [i0, i1] = range ? range(x) : [Math.floor(x * step), Math.floor((x + 1) * step)];
      i0 = Math.max(0, Math.min(n, i0)); i1 = Math.max(i0 + 1, Math.min(n, i1));
      if (i0 >= n) continue;
      let h = -Infinity, l = Infinity, sq = 0;
      for (let i = i0; i < i1; i++) {
        const va = a[i], vb = b[i];
        if (va > h) h = va; if (vb > h) h = vb;
        if (va < l) l = va; if (vb < l) l = vb;
        sq += va * va + vb * vb;
      }
      hi[x] = h; lo[x] = l; rms[x] = Math.sqrt(sq / (2 * (i1 - i0)));
    }
    drawColumns(ctx, hi, lo, rms, peak, colours);
  }

  // A wavesurfer renderFunction drawing both layers, normalised against the whole decoded song.
  function waveRenderer(getWs, colours) {
    let cache = { data: null, peak: 1 };
    return (channels, ctx) => {
      const ws = getWs();
      const data = ws && ws.getDecodedData();
      if (data && cache.data !== data) {
        const chans = [];
        for (let c = 0; c < Math.min(2, data.numberOfChannels); c++) chans.push(data.getChannelData(c));
        cache = { data, peak: globalPeak(chans) };
      }
      drawLayers(ctx, channels, cache.peak, colours);
    };
  }

  // Tick and label spacing for a ruler at `pxPerSec`: ticks at least 8 px apart, labels at least 64 px apart.
  const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
  function rulerSpacing(pxPerSec) {
    const tick = STEPS.find((s) => s * pxPerSec >= 8) || 600;
    const label = STEPS.find((s) => s >= tick && s * pxPerSec >= 64 && Math.abs(s / tick - Math.round(s / tick)) < 1e-9) || 600;
    return { tick, label, decimals: label < 0.1 ? 2 : label < 1 ? 1 : 0 };
  }

  // Frequency labels for a mel-scaled spectrogram from 0 Hz to `maxHz`, `height` px tall.
  function melAxis(el, maxHz, height, offsetTop) {
    const mel = (f) => 2595 * Math.log10(1 + f / 700);
    const top = mel(maxHz);
    el.innerHTML = "";
    el.style.top = `${offsetTop}px`;
    el.style.height = `${height}px`;
    let lastY = Infinity;
    [100, 250, 500, 1000, 2000, 4000, 8000, 16000].filter((f) => f < maxHz * 0.97).forEach((f) => {
      const y = height * (1 - mel(f) / top);
      if (lastY - y < 14) return;  // labels never overlap on a short spectrogram
      lastY = y;
      const tick = document.createElement("span");
      tick.textContent = f >= 1000 ? `${f / 1000} kHz` : `${f} Hz`;
      tick.style.top = `${y}px`;
      el.appendChild(tick);
    });
  }

  window.TrackView = { fmtTime, drawLayers, globalPeak, waveRenderer, rulerSpacing, melAxis, PEAK, RMS };
})();
