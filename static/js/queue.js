/* The visitor's queue on the map: their waiting and running jobs, each with its place in the
   queue, its progress and, while it waits, a button that cancels it. */
(function () {
  "use strict";

  const panel = document.getElementById("queue");
  if (!panel) return;
  const list = document.getElementById("queue-list");
  const BUSY_MS = 1000; // while something waits or runs
  const IDLE_MS = 2500; // to notice a job asked for elsewhere on the page
  const PENDING = ["queued", "running"];
  let timer = 0, shown = "", asked = 0;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function describe(job) {
    const what = job.purpose === "regenerate" ? "Painting again" : job.parent ? "A variation" : "A picture";
    const inputs = job.inputs || {};
    const where = typeof inputs.lat === "number" ? " of " + inputs.lat.toFixed(2) + ", " + inputs.lon.toFixed(2) : "";
    return what + where;
  }

  function state(job) {
    if (job.status === "running") return "painting… " + job.progress + "%";
    if (job.position === 0) return "next in line";
    return job.position + (job.position === 1 ? " job" : " jobs") + " ahead";
  }

  function item(job) {
    const li = document.createElement("li");
    li.className = "queue-item status-" + job.status;
    li.dataset.jobId = String(job.id);
    const title = document.createElement("span");
    title.className = "queue-title";
    title.textContent = describe(job);
    const status = document.createElement("span");
    status.className = "queue-state";
    status.textContent = state(job);
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = job.progress;
    li.append(title, status, bar);
    if (job.status === "queued") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "queue-cancel";
      button.textContent = "Cancel";
      button.addEventListener("click", () => cancel(job, li, button));
      li.append(button);
    }
    return li;
  }

  function render(jobs) {
    const signature = JSON.stringify(jobs.map((j) => [j.id, j.status, j.position, j.progress]));
    if (signature === shown) return;
    shown = signature;
    list.replaceChildren(...jobs.map(item));
    panel.hidden = jobs.length === 0;
  }

  async function cancel(job, li, button) {
    button.disabled = true;
    let message = "";
    try {
      const response = await fetch(job.url + "cancel/", {
        method: "POST", headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      if (!response.ok) message = (await response.json().catch(() => ({}))).detail || "HTTP " + response.status;
    } catch (e) {
      message = "The site cannot be reached.";
    }
    if (message) {
      const error = document.createElement("span");
      error.className = "queue-error";
      error.textContent = message;
      li.append(error); // stays until the job's state changes (a 409: it has started)
      return;
    }
    refresh();
  }

  async function refresh() {
    clearTimeout(timer);
    const mine = ++asked; // an answer to an earlier request that arrives later is dropped
    let pending = null;
    try {
      const response = await fetch(panel.dataset.queueUrl, { headers: { Accept: "application/json" } });
      if (response.ok) pending = (await response.json()).jobs.filter((job) => PENDING.includes(job.status)).reverse();
    } catch (e) { /* offline for a moment: try again later */ }
    if (mine !== asked) return;
    if (pending) render(pending);
    timer = setTimeout(refresh, pending && pending.length ? BUSY_MS : IDLE_MS);
  }

  // A job the page followed to its end leaves the queue now, not at the next poll.
  const api = window.GeniusLoci && window.GeniusLoci.api;
  if (api) document.addEventListener(api.JOB_FINISHED, refresh);
  refresh();
})();
