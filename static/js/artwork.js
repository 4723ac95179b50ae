/* The artwork page: "More like this" (the same inputs, new seeds), "Regenerate exactly"
   (the same seed and model, and a check that the same bytes came back), edits by a text (n
   versions, each a new artwork made from this one) and the frames between two texts (a strip,
   seen through a slider and played as an animation), each followed until the worker has painted it. */
(function () {
  "use strict";

  const api = window.GeniusLoci.api;
  const actions = document.getElementById("actions");
  const el = (id) => document.getElementById(id);
  const buttons = [el("more-like-this"), el("regenerate"), el("edit-submit"), el("interpolate-submit")].filter(Boolean);
  const VARIATIONS = 4;

  function start(message) {
    buttons.forEach((button) => { button.disabled = true; });
    el("action-job").hidden = false;
    el("action-status").textContent = message;
    el("action-progress").value = 0;
    el("action-progress").hidden = false;
    el("action-error").hidden = true;
    el("action-verdict").hidden = true;
    el("action-results").replaceChildren();
    el("action-results").hidden = true;
  }

  function finish(message) {
    buttons.forEach((button) => { button.disabled = false; });
    el("action-progress").hidden = true;
    el("action-status").textContent = message;
  }

  function fail(message) {
    finish("");
    el("action-error").textContent = message;
    el("action-error").hidden = false;
  }

  function showArtwork(artwork, caption) {
    const item = document.createElement("li");
    item.className = "artwork-card";
    const link = document.createElement("a");
    link.href = artwork.url;
    const image = document.createElement("img");
    image.src = artwork.thumbnail || artwork.image;
    image.alt = "A new artwork, seed " + artwork.seed;
    image.className = api.pictureClass(artwork);
    const title = document.createElement("span");
    title.className = "card-title";
    title.textContent = caption;
    link.append(image, title);
    item.append(link);
    el("action-results").append(item);
    el("action-results").hidden = false;
  }

  async function ask(url, payload) {
    // The reply's body when the work was accepted; otherwise shows why and resolves to null.
    try {
      return await api.ask(url, payload);
    } catch (error) {
      fail(error.message);
      return null;
    }
  }

  async function moreLikeThis() {
    start("Asking for " + VARIATIONS + " variations…");
    const body = await ask(actions.dataset.variationsUrl, { count: VARIATIONS });
    if (!body) return;
    const jobs = body.jobs;
    let results;
    try {
      results = await followAll(jobs, "Painting variations");
    } catch (error) {
      fail(error.message);
      return;
    }
    const painted = results.filter((job) => job.status === "done" && job.artwork);
    painted.forEach((job) => showArtwork(job.artwork, "Seed " + job.artwork.seed));
    finish(painted.length + " of " + jobs.length + " variations painted.");
    const problems = results.filter((job) => job.status !== "done").map(api.jobFailure);
    if (problems.length) {
      el("action-error").textContent = problems.join(" ");
      el("action-error").hidden = false;
    }
  }

  function showVerdict(verification) {
    const verdict = el("action-verdict");
    if (!verification) {
      verdict.textContent = "It was painted again, but no comparison of the bytes came back.";
      verdict.className = "notice";
    } else if (verification.identical) {
      verdict.textContent = "Identical bytes: the model painted exactly the same picture again (sha256 " + verification.sha256_new + ").";
      verdict.className = "verdict identical";
    } else {
      verdict.textContent = "Differs: the new picture's bytes are not the stored ones (stored sha256 " +
        verification.sha256_stored + ", new sha256 " + verification.sha256_new + ").";
      verdict.className = "verdict differs";
    }
    verdict.hidden = false;
  }

  async function regenerate() {
    start("Asking to paint it again…");
    const body = await ask(actions.dataset.regenerateUrl, {});
    if (!body) return;
    let job;
    try {
      job = await api.followJob(body.job.url, {
        onUpdate: (state) => {
          el("action-progress").value = state.progress;
          el("action-status").textContent = api.statusWords(state);
        },
      });
    } catch (error) {
      fail(error.message);
      return;
    }
    if (job.status !== "done") {
      fail(api.jobFailure(job));
      return;
    }
    finish("Painted again with the same seed and model.");
    showVerdict(job.verification);
  }

  async function followAll(jobs, label) {
    // Follows jobs to their end, showing "label: k of n finished"; resolves to their last states.
    const progress = jobs.map(() => 0);
    const finished = jobs.map(() => false);
    const update = (i) => (job) => {
      progress[i] = job.progress;
      finished[i] = api.FINISHED.includes(job.status);
      el("action-progress").value = progress.reduce((a, b) => a + b, 0) / jobs.length;
      el("action-status").textContent = label + ": " + finished.filter(Boolean).length + " of " + jobs.length + " finished.";
    };
    return Promise.all(jobs.map((job, i) => api.followJob(job.url, { onUpdate: update(i) })));
  }

  async function edit(event) {
    event.preventDefault();
    const form = event.target;
    const text = el("edit-text").value;
    const count = Number(el("edit-count").value);
    start("Asking for " + count + " edit" + (count === 1 ? "" : "s") + "…");
    const body = await ask(form.dataset.jobsUrl, { kind: "edit", inputs: { artwork: Number(form.dataset.artwork), text: text, n: count } });
    if (!body) return;
    let results;
    try {
      results = await followAll(body.jobs || [body], "Painting edits");
    } catch (error) {
      fail(error.message);
      return;
    }
    const painted = results.filter((job) => job.status === "done" && job.artwork);
    painted.forEach((job) => showArtwork(job.artwork, "“" + text.trim() + "”, seed " + job.artwork.seed));
    finish(painted.length + " of " + results.length + " edits painted; each is a new artwork made from this one.");
    const problems = results.filter((job) => job.status !== "done").map(api.jobFailure);
    if (problems.length) {
      el("action-error").textContent = problems.join(" ");
      el("action-error").hidden = false;
    }
  }

  function stripViewer(viewer, url, frames) {
    // Draws frame k of a horizontal strip of square frames; the slider picks k, Play animates.
    const canvas = viewer.querySelector(".strip-frame");
    const slider = viewer.querySelector(".strip-slider");
    const play = viewer.querySelector(".strip-play");
    const context = canvas.getContext("2d");
    const strip = new Image();
    let timer = null;
    function draw() {
      if (!strip.complete || !strip.naturalWidth) return;
      const side = strip.naturalHeight;
      context.imageSmoothingEnabled = false;
      context.drawImage(strip, Number(slider.value) * side, 0, side, side, 0, 0, canvas.width, canvas.height);
    }
    function stop() {
      clearInterval(timer);
      timer = null;
      play.textContent = "Play";
    }
    slider.max = String(frames - 1);
    slider.addEventListener("input", () => { stop(); draw(); });
    play.addEventListener("click", () => {
      if (timer) { stop(); return; }
      play.textContent = "Pause";
      timer = setInterval(() => { slider.value = String((Number(slider.value) + 1) % frames); draw(); }, 150);
    });
    strip.addEventListener("load", draw);
    strip.src = url;
    viewer.hidden = false;
  }

  async function interpolate(event) {
    event.preventDefault();
    const form = event.target;
    const frames = Number(el("interpolate-frames").value);
    start("Asking for " + frames + " frames between the two texts…");
    const inputs = { artwork: Number(form.dataset.artwork), text: el("interpolate-from").value,
                     text_to: el("interpolate-to").value, frames: frames };
    let job;
    try {
      job = await api.paintJob(form.dataset.jobsUrl, { kind: "edit", inputs: inputs }, {
        onUpdate: (state) => {
          el("action-progress").value = state.progress;
          el("action-status").textContent = "Painting the frames: " + api.statusWords(state);
        },
      });
    } catch (error) {
      fail(error.message);
      return;
    }
    finish("The frames are painted; the strip is a new artwork made from this one.");
    showArtwork(job.artwork, "The strip, seed " + job.artwork.seed);
    stripViewer(el("action-strip"), job.artwork.image, frames);
  }

  const shownStrip = el("strip-viewer");
  if (shownStrip) stripViewer(shownStrip, shownStrip.dataset.stripUrl, Number(shownStrip.dataset.frames));
  if (el("edit-form")) el("edit-form").addEventListener("submit", edit);
  if (el("interpolate-form")) el("interpolate-form").addEventListener("submit", interpolate);
  el("more-like-this").addEventListener("click", moreLikeThis);
  el("regenerate").addEventListener("click", regenerate);
})();
