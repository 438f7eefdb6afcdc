// Text-to-music page: prompt chips, generation request, live progress. The form keeps what was asked, so the
// next try changes one thing; the gallery refreshes on its own when a track is ready.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  if (!$("generate-studio")) return;
  const S = window.SonicAI;
  const prompt = $("prompt");
  const chips = document.querySelectorAll("#generate-studio .chip");
  const syncChips = () => {
    const words = prompt.value.split(/,\s*/).map((w) => w.trim().toLowerCase());
    chips.forEach((c) => {
      const on = words.includes(c.dataset.word);
      c.classList.toggle("on", on); c.setAttribute("aria-pressed", String(on));  // said, not only coloured
    });
  };
  chips.forEach((chip) => chip.addEventListener("click", () => {
    const word = chip.dataset.word;
    const words = prompt.value.split(/,\s*/).map((w) => w.trim()).filter(Boolean);  // "   , pop" was kept
    const i = words.indexOf(word);
    if (i >= 0) words.splice(i, 1); else words.push(word);
    prompt.value = words.join(", ");
    syncChips();
  }));
  prompt.addEventListener("input", syncChips);
  $("guidance").addEventListener("input", (e) => { $("guidance-value").textContent = Number(e.target.value).toFixed(1); });
  const showGuidance = () => {  // only the neural models take guidance; the slider says so instead of being ignored
    const opt = $("model").selectedOptions[0], guided = !opt || opt.dataset.guided !== "0";
    $("guidance").disabled = !guided; $("guidance-note").hidden = guided;
  };
  $("model").addEventListener("change", showGuidance);
  showGuidance();
  const err = document.querySelector("#generate-studio .form-error");
  const fields = { prompt, duration: $("duration"), seed: $("seed"), model: $("model"), guidance_scale: $("guidance") };
  const lo = Number($("duration").min), hi = Number($("duration").max);
  $("generate").disabled = false;  // enabled once the page's handler is in place (a plain GET submit would do nothing)
  $("generate-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const dur = $("duration").value.trim();
    if (!prompt.value.trim()) return S.showErrors(err, { prompt: ["Describe the music you want in the prompt."] }, fields);
    if (dur === "" || !(Number(dur) >= lo && Number(dur) <= hi)) {
      return S.showErrors(err, { duration: [`Give the duration in seconds, from ${lo} to ${hi}.`] }, fields);
    }
    const body = { prompt: prompt.value, duration: Number(dur), model: $("model").value, guidance_scale: Number($("guidance").value) };
    if ($("seed").value !== "") body.seed = parseInt($("seed").value, 10);
    const res = await S.postJSON("/api/v1/generate/text-to-music", body);
    if (res.status !== 202) { S.showErrors(err, res.body, fields); return; }
    S.showErrors(err, null);
    const row = S.jobRow(res.body.job_id, "Generation", res.body.summary);
    $("jobs").prepend(row);
    S.bindJobs($("jobs"));
  });
  document.body.addEventListener("job-completed", (e) => {
    if (e.detail.job_type === "generate") document.body.dispatchEvent(new CustomEvent("tracks-changed"));
  });
  // "Use these settings" on a track puts its prompt, model, length and seed back in the form.
  $("gallery").addEventListener("click", (e) => {
    const b = e.target.closest(".reuse");
    if (!b) return;
    prompt.value = b.dataset.prompt; $("duration").value = Number(b.dataset.duration) || 30;
    $("seed").value = b.dataset.seed; $("guidance").value = b.dataset.guidance;
    $("guidance-value").textContent = Number(b.dataset.guidance).toFixed(1);
    if ([...$("model").options].some((o) => o.value === b.dataset.model)) $("model").value = b.dataset.model;
    syncChips();
    prompt.scrollIntoView({ behavior: "smooth", block: "center" });
    prompt.focus({ preventScroll: true });  // the keyboard goes where the settings went, not to the page's top
  });
});
