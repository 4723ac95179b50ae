/* Curators' pages: the pool (favourite, hide, add to an exhibition, new exhibition) and the
   exhibition editor (details, wall texts, order by drag and drop or arrows, publishing). */
(function () {
  "use strict";
  const api = window.GeniusLoci.api;

  function say(element, message, isError) {
    element.textContent = message;
    element.classList.toggle("error", Boolean(isError));
    element.hidden = !message;
  }

  async function call(status, method, url, payload, expected) {
    // Sends a request; on a refusal says why in `status` and resolves to null.
    try {
      const reply = await api.sendJson(method, url, payload);
      if (reply.status === expected) return reply.body;
      say(status, api.messagesOf(reply.body) || "The site refused this (HTTP " + reply.status + ").", true);
    } catch (error) {
      say(status, error.message, true);
    }
    return null;
  }

  function editUrl(form, slug) {
    return form.dataset.editUrl.replace("SLUG", encodeURIComponent(slug));
  }

  const newExhibition = document.getElementById("new-exhibition");
  if (newExhibition) {
    newExhibition.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = newExhibition.elements;
      const payload = { title: fields.title.value, slug: fields.slug.value, statement: fields.statement.value };
      const status = newExhibition.querySelector(".form-error");
      const created = await call(status, "POST", newExhibition.dataset.api, payload, 201);
      if (created) window.location.assign(editUrl(newExhibition, created.slug));
    });
  }

  const pool = document.getElementById("pool");
  if (pool) {
    const status = document.getElementById("pool-status");
    pool.addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      const card = button && button.closest(".pool-card");
      if (!card) return;
      const artworkUrl = pool.dataset.artworksApi + card.dataset.artworkId + "/";
      const title = card.querySelector(".card-title").textContent;
      if (button.classList.contains("favourite")) {
        const wasFavourite = button.getAttribute("aria-pressed") === "true";
        const body = await call(status, wasFavourite ? "DELETE" : "POST", artworkUrl + "favourite/", undefined, 200);
        if (!body) return;
        button.setAttribute("aria-pressed", String(body.favourite));
        button.textContent = (body.favourite ? "★" : "☆") + " Favourite";
        say(status, body.favourite ? title + " is one of your favourites." : title + " is no longer a favourite.");
      } else if (button.classList.contains("hide-toggle")) {
        const wasHidden = card.classList.contains("is-hidden");
        const body = await call(status, wasHidden ? "DELETE" : "POST", artworkUrl + "hide/", undefined, 200);
        if (!body) return;
        card.classList.toggle("is-hidden", body.hidden);
        button.textContent = body.hidden ? "Unhide" : "Hide";
        card.querySelector(".moderation").textContent = (body.hidden ? "Hidden" : "Shown again") + " by " + body.hidden_changed_by + " just now";
        say(status, body.hidden ? title + " is hidden from the public." : title + " is public again.");
      } else if (button.classList.contains("add-to-exhibition")) {
        const target = card.querySelector(".add-target");
        const url = pool.dataset.exhibitionsApi + encodeURIComponent(target.value) + "/items/";
        const body = await call(status, "POST", url, { artwork: Number(card.dataset.artworkId) }, 201);
        if (body) say(status, "Added " + title + " to " + body.title + " (" + body.item_count + " works).");
      }
    });
  }

  const editor = document.getElementById("editor");
  if (!editor) return;
  const status = document.getElementById("editor-status");
  const list = document.getElementById("items");
  const form = document.getElementById("exhibition-form");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = form.elements;
    const payload = {
      title: fields.title.value, slug: fields.slug.value, statement: fields.statement.value,
      cover: fields.cover.value ? Number(fields.cover.value) : null,
    };
    const saved = await call(status, "PATCH", editor.dataset.api, payload, 200);
    if (saved) window.location.assign(editUrl(editor, saved.slug));
  });

  ["publish", "unpublish"].forEach((action) => {
    const button = document.getElementById(action);
    if (!button) return;
    button.addEventListener("click", async () => {
      if (await call(status, "POST", editor.dataset.api + action + "/", undefined, 200)) window.location.reload();
    });
  });

  document.getElementById("delete-exhibition").addEventListener("click", async () => {
    if (!window.confirm("Delete this exhibition? Its artworks stay in the gallery.")) return;
    if (await call(status, "DELETE", editor.dataset.api, undefined, 204)) window.location.assign(editor.dataset.dashboardUrl);
  });

  if (!list) return;
  const itemIds = () => [...list.querySelectorAll(".item")].map((item) => Number(item.dataset.itemId));
  list.dataset.order = itemIds().join(",");

  async function saveOrder() {
    const ids = itemIds();
    if (ids.join(",") === list.dataset.order) return;
    const saved = await call(status, "POST", editor.dataset.api + "order/", { items: ids }, 200);
    if (saved) {
      list.dataset.order = ids.join(",");
      say(status, "The new order is saved.");
    } else {
      // Refused: put the items back in the order the site has.
      list.dataset.order.split(",").forEach((id) => list.appendChild(list.querySelector("[data-item-id='" + id + "']")));
    }
  }

  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".item");
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.itemId);
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest(".item");
    if (!dragged) return;
    event.preventDefault();
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    list.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextElementSibling);
  });
  list.addEventListener("drop", (event) => event.preventDefault());
  list.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    saveOrder();
  });

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    const item = button && button.closest(".item");
    if (!item) return;
    const itemUrl = editor.dataset.api + "items/" + item.dataset.itemId + "/";
    if (button.classList.contains("move-up") && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
      button.focus();
      saveOrder();
    } else if (button.classList.contains("move-down") && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
      button.focus();
      saveOrder();
    } else if (button.classList.contains("save-text")) {
      const payload = { wall_text: item.querySelector(".wall-text").value };
      if (await call(status, "PATCH", itemUrl, payload, 200)) say(status, "The wall text is saved.");
    } else if (button.classList.contains("remove")) {
      if (!(await call(status, "DELETE", itemUrl, undefined, 200))) return;
      item.remove();
      list.dataset.order = itemIds().join(",");
      say(status, "The work is taken down; it stays in the gallery.");
    }
  });
})();
