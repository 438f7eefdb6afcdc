// The admin's Models page: live progress of running install jobs over /ws/jobs/<id>/; the page reloads when one
// ends so the catalogue shows the new state.
(function () {
  const ACTIVE = ["pending", "processing"];
  function watch(row) {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    let retry = 500;
    function connect() {
      const ws = new WebSocket(`${proto}://${location.host}/ws/jobs/${row.dataset.jobId}/`);
      ws.onmessage = (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.type !== "job") return;
        const job = msg.job;
        retry = 500;
        row.querySelector(".job-status").textContent = job.status;
        row.querySelector(".job-bar > span").style.width = `${job.progress}%`;
        row.querySelector(".job-percent").textContent = `${job.progress} %`;
        row.querySelector(".job-stage").textContent = ACTIVE.includes(job.status) ? job.stage || "" : "";  // an ended job's last stage is not news
        row.querySelector(".job-error").textContent = job.error_message || "";
        if (!ACTIVE.includes(job.status)) { row.dataset.status = job.status; ws.close(); setTimeout(() => location.reload(), 800); }
      };
      ws.onclose = (ev) => {
        if (!ACTIVE.includes(row.dataset.status) || ev.code === 4404) return;
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10000);
      };
    }
    connect();
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("tr.install-job").forEach((row) => { if (ACTIVE.includes(row.dataset.status)) watch(row); });
  });
})();
