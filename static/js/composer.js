/* The composer: stamps on a canvas, one per object (boxes in fractions of the canvas, back to
   front), dragged from the palette, moved and resized with mouse, touch or keys; Paint asks for a
   `compose` job and shows its steps. On a composed artwork's page it changes one object of it
   (inputs.base), the others staying as they are. */
(function () {
  "use strict";

  const api = window.GeniusLoci.api;
  const root = document.getElementById("composer");
  if (!root) return;
  const data = JSON.parse(document.getElementById("composer-data").textContent);
  const canvas = document.getElementById("compose-canvas");
  const backdrop = document.getElementById("compose-backdrop");
  const layerList = document.getElementById("layer-list");
  const shape = document.getElementById("object-shape");
  const coloured = document.getElementById("object-coloured");
  const colour = document.getElementById("object-colour");
  const properties = document.getElementById("object-properties");
  const SIDE_MIN = 0.04, AREA_MAX = 0.5, STAMP_SIDE = 0.2, STEP = 0.01, BIG_STEP = 0.05;
  const changing = Boolean(data.base);  // change one object of the artwork data.base
  const original = (data.objects || []).map((item) => JSON.parse(JSON.stringify(item)));
  let objects = original.map((item) => JSON.parse(JSON.stringify(item)));
  let selected = -1;
  let changed = null;  // in change mode: the index of the one object changed (null: none yet)
  // The background the stamps are placed on: its artwork's seed, sent with Paint so that the
  // scene's x0 is this very picture (null until it is painted; change mode keeps its base's seed).
  let backgroundSeed = null;
  let busy = false;  // a job is being asked for or followed: Paint waits for it

  const round = (value) => Math.round(value * 10000) / 10000;
  const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

  function editable(index) { return !changing || changed === null || changed === index; }

  function noteChange(index) {
    // In change mode the first object touched is the one changed; the others are locked.
    if (changing && changed === null) changed = index;
  }

  // ---- Boxes ---------------------------------------------------------------------------

  function placeBox(box, dx, dy) {
    const w = box[2] - box[0], h = box[3] - box[1];
    const x0 = clamp(box[0] + dx, 0, 1 - w), y0 = clamp(box[1] + dy, 0, 1 - h);
    return [round(x0), round(y0), round(x0 + w), round(y0 + h)];
  }

  function resizeBox(box, w, h) {
    // Rounded to 4 decimals first, then clamped, as the server checks a box
    // (gallery/jobs/compose_inputs.py): inside the canvas, sides of at least SIDE_MIN, at most
    // AREA_MAX of the canvas. With w <= 1, a height of AREA_MAX / w is never under SIDE_MIN.
    w = clamp(round(w), SIDE_MIN, round(1 - box[0]));
    h = clamp(round(h), SIDE_MIN, round(1 - box[1]));
    if (w * h > AREA_MAX) h = Math.floor((AREA_MAX / w) * 10000) / 10000;
    while (w * h > AREA_MAX) h = round(h - 0.0001);  // the product as the server computes it
    return [box[0], box[1], round(box[0] + w), round(box[1] + h)];
  }

  function fraction(event) {
    const rect = canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
  }

  // ---- Drawing the stamps and the layer list --------------------------------------------

  function hex(rgb) { return "#" + rgb.map((v) => v.toString(16).padStart(2, "0")).join(""); }

  function render() {
    canvas.querySelectorAll(".stamp").forEach((stamp) => stamp.remove());
    objects.forEach((item, index) => {
      const stamp = document.createElement("div");
      stamp.className = "stamp shape-" + item.shape + (index === selected ? " selected" : "") +
        (editable(index) ? "" : " locked");
      stamp.tabIndex = 0;
      stamp.dataset.index = String(index);
      stamp.dataset.box = JSON.stringify(item.box);
      stamp.setAttribute("role", "button");
      stamp.setAttribute("aria-label", item.category + ", layer " + (index + 1) + " of " + objects.length);
      const [x0, y0, x1, y1] = item.box;
      Object.assign(stamp.style, { left: x0 * 100 + "%", top: y0 * 100 + "%", width: (x1 - x0) * 100 + "%",
        height: (y1 - y0) * 100 + "%", zIndex: String(index + 1) });
      if (item.colour) stamp.style.borderColor = hex(item.colour);
      const label = document.createElement("span");
      label.textContent = item.category;
      const handle = document.createElement("span");
      handle.className = "handle";
      handle.setAttribute("aria-hidden", "true");
      stamp.append(label, handle);
      canvas.append(stamp);
    });
    layerList.replaceChildren(...objects.map((item, index) => layerItem(item, index)));
    const item = objects[selected];
    properties.disabled = !item || !editable(selected);
    if (item) {
      shape.value = item.shape;
      coloured.checked = Boolean(item.colour);
      if (item.colour) colour.value = hex(item.colour);
    }
    document.getElementById("compose-paint").disabled = busy || (changing ? changed === null : backgroundSeed === null);
  }

  function layerItem(item, index) {
    const li = document.createElement("li");
    li.className = index === selected ? "selected" : "";
    const name = document.createElement("button");
    name.type = "button";
    name.className = "layer-name";
    name.textContent = item.category;
    name.addEventListener("click", () => select(index));
    li.append(name);
    const actions = changing ? [["✕", "Delete " + item.category, () => remove(index)]] : [
      ["↑", "Move " + item.category + " back", () => reorder(index, -1)],
      ["↓", "Move " + item.category + " to the front", () => reorder(index, 1)],
      ["✕", "Delete " + item.category, () => remove(index)],
    ];
    for (const [text, label, action] of actions) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.setAttribute("aria-label", label);
      button.disabled = !editable(index);
      button.addEventListener("click", action);
      li.append(button);
    }
    return li;
  }

  function select(index) {
    selected = index;
    render();
    const stamp = canvas.querySelector('.stamp[data-index="' + index + '"]');
    if (stamp) stamp.focus();
  }

  function update(index, change) {
    if (!editable(index)) return;
    noteChange(index);
    Object.assign(objects[index], change);
    render();
  }

  function remove(index) {
    if (!editable(index)) return;
    noteChange(index);
    objects.splice(index, 1);
    selected = -1;
    render();
  }

  function reorder(index, direction) {
    const target = index + direction;
    if (target < 0 || target >= objects.length) return;
    [objects[index], objects[target]] = [objects[target], objects[index]];
    selected = target;
    render();
  }

  function add(category, x, y) {
    const half = STAMP_SIDE / 2;
    const box = placeBox([x - half, y - half, x + half, y + half], 0, 0);
    objects.push({ category: category, box: box, shape: "mask", colour: null });
    select(objects.length - 1);
  }

  // ---- Pointer: the palette, moving and resizing -----------------------------------------

  function dragFromPalette(event) {
    const source = event.currentTarget;
    const category = source.dataset.category;
    const ghost = document.createElement("div");
    ghost.className = "stamp-ghost";
    ghost.textContent = category;
    document.body.append(ghost);
    const follow = (e) => { ghost.style.left = e.clientX + "px"; ghost.style.top = e.clientY + "px"; };
    follow(event);
    source.setPointerCapture(event.pointerId);
    const move = (e) => follow(e);
    const up = (e) => {
      source.removeEventListener("pointermove", move);
      source.removeEventListener("pointerup", up);
      ghost.remove();
      const [x, y] = fraction(e);
      if (x >= 0 && x <= 1 && y >= 0 && y <= 1) add(category, x, y);
      else if (e.target === source && Math.hypot(e.clientX - event.clientX, e.clientY - event.clientY) < 5) add(category, 0.5, 0.5);
    };
    source.addEventListener("pointermove", move);
    source.addEventListener("pointerup", up);
    event.preventDefault();
  }

  function dragStamp(event) {
    const stamp = event.target.closest(".stamp");
    if (!stamp) return;
    const index = Number(stamp.dataset.index);
    select(index);
    if (!editable(index)) return;
    const resizing = event.target.classList.contains("handle");
    const start = fraction(event), box = objects[index].box.slice();
    canvas.setPointerCapture(event.pointerId);
    let moved = false;
    const move = (e) => {
      const [x, y] = fraction(e);
      const dx = x - start[0], dy = y - start[1];
      if (!moved && Math.hypot(dx, dy) < 0.005) return;
      moved = true;
      noteChange(index);
      objects[index].box = resizing ? resizeBox(box, box[2] - box[0] + dx, box[3] - box[1] + dy) : placeBox(box, dx, dy);
      render();
    };
    const up = () => {
      canvas.removeEventListener("pointermove", move);
      canvas.removeEventListener("pointerup", up);
      canvas.removeEventListener("pointercancel", up);
      select(index);
    };
    canvas.addEventListener("pointermove", move);
    canvas.addEventListener("pointerup", up);
    canvas.addEventListener("pointercancel", up);
    event.preventDefault();
  }

  function keys(event) {
    const stamp = event.target.closest(".stamp");
    if (!stamp) return;
    const index = Number(stamp.dataset.index);
    const step = event.shiftKey ? BIG_STEP : STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      event.preventDefault();
      if (!editable(index)) return;
      update(index, { box: placeBox(objects[index].box, ...moves[event.key]) });
      select(index);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      remove(index);
    }
  }

  // ---- Painting ------------------------------------------------------------------------

  function showStage(job) {
    document.getElementById("compose-stage").textContent =
      job.status === "running" && job.stage ? job.stage.charAt(0).toUpperCase() + job.stage.slice(1) + "…"
        : api.statusWords(job);
    document.getElementById("compose-progress").value = job.progress;
  }

  function fail(message) {
    document.getElementById("compose-progress").hidden = true;
    const error = document.getElementById("compose-error");
    error.textContent = message;
    error.hidden = false;
  }

  function inputs() {
    if (!changing) return { background: data.background, objects: objects };
    return { base: { artwork: data.base, object: changed }, objects: objects };
  }

  async function paint(payload) {
    // Paints one compose job, showing its progress; resolves to its artwork, or null when it
    // failed (the reason shown). Paint is disabled meanwhile, so one job runs at a time.
    busy = true;
    render();
    document.getElementById("compose-job").hidden = false;
    document.getElementById("compose-error").hidden = true;
    document.getElementById("compose-progress").hidden = false;
    document.getElementById("compose-stage").textContent = "Asking for a picture…";
    let job = null;
    try {
      job = await api.paintJob(root.dataset.jobsUrl, payload, { onUpdate: showStage });
      document.getElementById("compose-progress").hidden = true;
    } catch (error) {
      fail(error.message);
    }
    busy = false;
    render();
    return job && job.artwork;
  }

  function showResult(artwork) {
    const result = document.getElementById("compose-result");
    const strip = result.querySelector(".step-strip");
    strip.replaceChildren(...artwork.steps.map((step) => {
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.className = "picture";
      img.src = step.image;
      img.width = img.height = 64;
      img.dataset.index = String(step.index);
      img.dataset.label = step.index ? "step " + step.index + ": " + step.object.category : "the background";
      img.alt = step.index ? "Step " + step.index + ": " + step.object.category : "The background";
      li.append(img);
      return li;
    }));
    const slider = result.querySelector(".step-slider");
    slider.max = String(artwork.steps.length - 1);
    slider.value = slider.max;
    stepViewer(result.querySelector(".step-viewer"));
    document.getElementById("compose-permalink").href = artwork.url;
    result.hidden = false;
  }

  function stepViewer(viewer) {
    // The slider picks step t of x0..xT; a click on the strip does too.
    const slider = viewer.querySelector(".step-slider");
    const view = viewer.querySelector(".step-view");
    const label = viewer.querySelector(".step-label");
    const pictures = () => Array.from(viewer.querySelectorAll(".step-strip img"));
    function show() {
      const picture = pictures()[Number(slider.value)];
      if (!picture) return;
      view.src = picture.src;
      label.textContent = picture.dataset.label;
      pictures().forEach((p) => p.classList.toggle("current", p === picture));
    }
    if (!viewer.dataset.ready) {
      viewer.dataset.ready = "true";
      slider.addEventListener("input", show);
      viewer.querySelector(".step-strip").addEventListener("click", (e) => {
        if (e.target.dataset.index !== undefined) { slider.value = e.target.dataset.index; show(); }
      });
    }
    show();
  }

  async function paintScene() {
    const payload = { kind: "compose", inputs: inputs() };
    if (!changing) payload.seed = backgroundSeed;  // x0 is the background shown
    const artwork = await paint(payload);
    if (!artwork) return;
    backdrop.src = artwork.steps[artwork.steps.length - 1].image;
    showResult(artwork);
  }

  async function paintBackground() {
    // The background of the place first (x0): the canvas the stamps are placed on. The place's
    // earlier background (data.background_seed) is asked for again, which finds its artwork
    // rather than painting one more.
    const payload = { kind: "compose", inputs: { background: data.background, objects: [] } };
    if (data.background_seed !== null) payload.seed = data.background_seed;
    const artwork = await paint(payload);
    if (!artwork) return;
    backdrop.src = artwork.steps[0].image;
    backgroundSeed = artwork.seed;
    render();
    document.getElementById("compose-stage").textContent = "The background is painted; add objects and press Paint.";
  }

  // ---- Start -------------------------------------------------------------------------------

  canvas.addEventListener("pointerdown", dragStamp);
  canvas.addEventListener("keydown", keys);
  root.querySelectorAll(".stamp-source").forEach((source) => source.addEventListener("pointerdown", dragFromPalette));
  shape.addEventListener("change", () => update(selected, { shape: shape.value }));
  const setColour = () => {
    const value = colour.value;
    update(selected, { colour: coloured.checked ? [1, 3, 5].map((i) => parseInt(value.slice(i, i + 2), 16)) : null });
  };
  coloured.addEventListener("change", setColour);
  colour.addEventListener("input", () => { coloured.checked = true; setColour(); });
  document.getElementById("compose-paint").addEventListener("click", paintScene);
  const reset = document.getElementById("compose-reset");
  if (reset) reset.addEventListener("click", () => {
    objects = original.map((item) => JSON.parse(JSON.stringify(item)));
    changed = null;
    selected = -1;
    render();
  });
  document.querySelectorAll(".step-viewer").forEach((viewer) => { if (viewer.querySelector(".step-strip img")) stepViewer(viewer); });
  render();
  if (!changing) paintBackground();
})();
