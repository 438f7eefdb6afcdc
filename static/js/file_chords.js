// The file page's chord lane: the analysis' chord track under the waveform, scrolled and zoomed with it,
// the chord under the playhead highlighted, a click on a chord jumps there.
import { chordLane } from "./chord_lane.js";

const host = document.getElementById("chord-lane");
const data = document.getElementById("chord-track");

function attach(ws) {
  const chords = JSON.parse(data.textContent);
  const lane = chordLane(host, chords, { start: 0, end: ws.getDuration() || chords.at(-1).end,
                                         onSeek: (t) => ws.setTime(t) });
  // The visible stretch of the song: the whole song unzoomed, else what the scrolled waveform shows.
  const follow = () => {
    const duration = ws.getDuration();
    if (!duration) return;
    const wrapper = ws.getWrapper();
    const full = wrapper.scrollWidth || 1;
    const view = wrapper.parentElement ? wrapper.parentElement.clientWidth : full;
    const start = (ws.getScroll() / full) * duration;
    lane.setRange(start, Math.min(duration, start + (Math.min(view, full) / full) * duration));
  };
  ws.on("ready", follow);
  ws.on("zoom", follow);
  ws.on("redraw", follow);
  ws.on("scroll", follow);
  ws.on("timeupdate", (t) => lane.setTime(t));
  follow();
}

if (host && data) {
  if (window.sonicPlayer) attach(window.sonicPlayer);
  else document.addEventListener("sonic:player", (e) => attach(e.detail), { once: true });
}
