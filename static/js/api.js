/* Talking to the site's API from a page: the CSRF token, a refusal's messages in words,
   asking for JSON, following a job until it is finished (a job's status in words), asking for
   one picture and following it to its end, and the classes of an artwork's picture as the API
   describes it. */
window.GeniusLoci = window.GeniusLoci || {};
window.GeniusLoci.api = (function () {
  "use strict";

  const UNREACHABLE = "The site cannot be reached. Check your connection and try again.";
  const FINISHED = ["done", "failed", "cancelled"];
  const JOB_FINISHED = "genius-loci:job-finished";
  const STATUS_WORDS = { queued: "Waiting for a painter…", running: "Painting…", done: "Done.", failed: "Failed.",
    cancelled: "Cancelled." };

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function messagesOf(body) {
    // A 400 maps fields to lists of messages, possibly nested ("inputs": {"lat": [...]}).
    const out = [];
    (function walk(value, path) {
      if (Array.isArray(value)) value.forEach((m) => out.push(path ? path + ": " + m : String(m)));
      else if (value && typeof value === "object") Object.entries(value).forEach(([k, v]) => { if (k !== "code") walk(v, k); });
      else if (value) out.push(String(value));
    })(body, "");
    return out.join(" ");
  }

  async function sendJson(method, url, payload) {
    // Resolves to {status, body}; rejects with a sentence to show when the site cannot be reached.
    let response;
    try {
      response = await fetch(url, {
        method: method,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
    } catch (e) {
      throw new Error(UNREACHABLE);
    }
    return { status: response.status, body: await response.json().catch(() => ({})) };
  }

  function postJson(url, payload) {
    return sendJson("POST", url, payload);
  }

  function refusal(reply) {
    // Why a request was not accepted, in words.
    if (reply.status === 429) return "Too many requests at once. Wait a minute, then try again.";
    return messagesOf(reply.body) || "The request was refused (HTTP " + reply.status + ").";
  }

  function statusWords(job) {
    return STATUS_WORDS[job.status] || job.status;
  }

  function jobFailure(job) {
    // Why a finished job painted nothing, in words.
    return job.error || statusWords(job);
  }

  async function ask(url, payload) {
    // Resolves to the reply's body when the work was accepted (202, or 200 for an identical
    // earlier request); rejects with a sentence to show otherwise.
    const reply = await postJson(url, payload);
    if (reply.status === 202 || reply.status === 200) return reply.body;
    throw new Error(refusal(reply));
  }

  async function paintJob(url, payload, options) {
    // Asks for one job and follows it (onUpdate with each state) until it is done: resolves to
    // the done job with its artwork, or to null once isCurrent() turns false; rejects with a
    // sentence to show when it is refused, cannot be followed, or ends without a picture.
    let job = await ask(url, payload);
    options.onUpdate(job);
    if (!FINISHED.includes(job.status)) job = await followJob(job.url, options);
    if (job === null) return null;
    if (job.status !== "done" || !job.artwork) throw new Error(jobFailure(job));
    return job;
  }

  async function followJob(url, options) {
    // Polls a job, calling onUpdate with each state, until it is finished (resolves to the
    // last state) or isCurrent() turns false (resolves to null). A finished job is announced on
    // the document (JOB_FINISHED), so that the queue panel drops it at the same moment.
    const isCurrent = options.isCurrent || (() => true);
    while (isCurrent()) {
      let response;
      try {
        response = await fetch(url, { headers: { Accept: "application/json" } });
      } catch (e) {
        throw new Error(UNREACHABLE);
      }
      if (!response.ok) throw new Error("The job could not be read (HTTP " + response.status + ").");
      const job = await response.json();
      if (!isCurrent()) return null;
      options.onUpdate(job);
      if (FINISHED.includes(job.status)) {
        document.dispatchEvent(new CustomEvent(JOB_FINISHED, { detail: job }));
        return job;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs || 400));
    }
    return null;
  }

  function pictureClass(artwork) {
    // A model's own picture is drawn with hard pixel edges, an upsampler's enlargement smoothed
    // (site.css), as the templates' `picture_class` filter does.
    return artwork.upsampled ? "picture upsampled" : "picture";
  }

  return { UNREACHABLE: UNREACHABLE, FINISHED: FINISHED, JOB_FINISHED: JOB_FINISHED, csrfToken: csrfToken, messagesOf: messagesOf, sendJson: sendJson,
    postJson: postJson, statusWords: statusWords, jobFailure: jobFailure, ask: ask, paintJob: paintJob,
    followJob: followJob, pictureClass: pictureClass };
})();
