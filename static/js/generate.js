// Text-to-music page: prompt chips, generation request, live progress.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  if (!$("generate-studio")) return;
  const prompt = $("prompt");
  document.querySelectorAll("#generate-studio .chip").forEach((chip) => chip.addEventListener("click", () => {
    const word = chip.dataset.word;
    const words = prompt.value.split(/,\s*/).filter(Boolean);
    const i = words.indexOf(word);
    if (i >= 0) words.splice(i, 1); else words.push(word);
    prompt.value = words.join(", ");
    chip.classList.toggle("on", i < 0);
  }));
  $("guidance").addEventListener("input", (e) => { $("guidance-value").textContent = Number(e.target.value).toFixed(1); });
  const err = document.querySelector("#generate-studio .form-error");
  $("generate").addEventListener("click", async () => {
    err.textContent = "";
    const body = { prompt: prompt.value, duration: parseFloat($("duration").value), model: $("model").value,
      guidance_scale: parseFloat($("guidance").value) };
    if ($("seed").value !== "") body.seed = parseInt($("seed").value, 10);
    const res = await fetch("/api/v1/generate/text-to-music", { method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.SonicAI.csrfToken() }, body: JSON.stringify(body) });
    const out = await res.json();
    if (res.status !== 202) {
      err.textContent = out.detail || Object.entries(out).map(([k, v]) => `${k}: ${v}`).join("; ");
      return;
    }
    const row = document.createElement("div");
    row.className = "job"; row.dataset.jobId = out.job_id; row.dataset.jobStatus = "pending";
    row.innerHTML = '<span class="job-type">Generate</span><div class="progress"><div class="bar" style="width:0%"></div><span class="label">0 %</span></div><span class="job-status">pending</span><span class="job-stage muted"></span><span class="job-error error"></span><button class="link job-cancel" type="button">Cancel</button>';
    $("jobs").prepend(row);
    window.SonicAI.bindJobs($("jobs"));
  });
  document.body.addEventListener("job-completed", (e) => { if (e.detail.job_type === "generate") window.location.reload(); });
});
