/* The atlas map: the shared base layer, cities by zoom, search, and the job panel. */
(function () {
  "use strict";

  const api = window.GeniusLoci.api;
  const basemap = window.GeniusLoci.basemap;

  const panel = document.getElementById("panel");
  const urls = {
    land: panel.dataset.landUrl,
    cities: panel.dataset.citiesUrl,
    jobs: panel.dataset.jobsUrl,
  };
  const POLL_MS = 400;
  let currentJob = 0; // a newer request makes older polls stop

  function el(id) { return document.getElementById(id); }

  // ---- The job panel -------------------------------------------------------------------

  function showJob(title) {
    el("panel-intro").hidden = true;
    el("job").hidden = false;
    el("job-title").textContent = title;
    el("job-status").textContent = "Asking for a picture…";
    el("job-progress").value = 0;
    el("job-progress").hidden = false;
    el("job-error").hidden = true;
    el("job-result").hidden = true;
  }

  function showError(message) {
    el("job-progress").hidden = true;
    el("job-status").textContent = "";
    el("job-error").textContent = message;
    el("job-error").hidden = false;
  }

  const STATUS_WORDS = { queued: "Waiting for a painter…", running: "Painting…", done: "Done.", failed: "Failed.", cancelled: "Cancelled." };

  function render(job) {
    el("job-status").textContent = STATUS_WORDS[job.status] || job.status;
    el("job-progress").value = job.progress;
    if (job.status === "done" && job.artwork) {
      const art = job.artwork;
      el("job-progress").hidden = true;
      el("job-image").src = art.image;
      el("job-image").alt = "An impression of " + el("job-title").textContent;
      const place = art.city ? art.city.name + ", " + art.city.country : art.lat.toFixed(3) + ", " + art.lon.toFixed(3);
      el("job-caption").textContent = place + " · seed " + art.seed + " · " + job.model.name + " ";
      el("job-permalink").href = art.url;
      el("job-result").hidden = false;
    } else if (job.status === "failed" || job.status === "cancelled") {
      showError(job.error || STATUS_WORDS[job.status]);
    }
  }

  async function follow(url, token) {
    try {
      await api.followJob(url, { onUpdate: render, isCurrent: () => token === currentJob, intervalMs: POLL_MS });
    } catch (error) {
      if (token === currentJob) showError(error.message);
    }
  }

  async function requestPlace(inputs, title) {
    const token = ++currentJob;
    showJob(title);
    let reply;
    try {
      reply = await api.postJson(urls.jobs, { kind: "place", inputs: inputs });
    } catch (error) {
      showError(error.message);
      return;
    }
    const { status, body } = reply;
    if (token !== currentJob) return;
    if (status === 202 || status === 200) {
      render(body);
      if (!api.FINISHED.includes(body.status)) follow(body.url, token);
    } else if (status === 429) {
      showError("Too many requests at once. Wait a minute, then click again.");
    } else {
      showError(api.messagesOf(body) || "The request was refused (HTTP " + status + ").");
    }
  }

  // ---- The map -------------------------------------------------------------------------

  function citiesForZoom(zoom) {
    return Math.min(400, Math.round(25 * Math.pow(1.8, zoom - 2)));
  }

  function cityTitle(city) { return city.name + ", " + city.country; }

  function radiusFor(population) {
    return Math.max(3, Math.min(11, Math.log10(Math.max(population, 1000)) * 2 - 5));
  }

  function setupCities(map) {
    const layer = L.layerGroup().addTo(map);
    let request = 0;
    async function refresh() {
      const mine = ++request;
      const params = new URLSearchParams({ bbox: basemap.viewBbox(map), limit: citiesForZoom(map.getZoom()) });
      let cities;
      try {
        const response = await fetch(urls.cities + "?" + params, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        cities = await response.json();
      } catch (e) { return; }
      if (mine !== request) return;
      layer.clearLayers();
      // Least populous first, so that a large city's marker is drawn over its suburbs'.
      for (const city of cities.slice().reverse()) {
        const marker = L.circleMarker([city.lat, city.lon], {
          radius: radiusFor(city.population), className: "city-marker",
          color: "#7a2e1d", weight: 1, fillColor: "#d9653b", fillOpacity: 0.85,
        });
        marker.bindTooltip(city.name, { direction: "top" });
        marker.on("click", (e) => {
          L.DomEvent.stopPropagation(e);
          requestPlace({ city: city.id }, cityTitle(city));
        });
        marker.addTo(layer);
      }
      map.getContainer().dataset.cities = String(cities.length);
    }
    map.on("moveend", refresh);
    refresh();
    return layer;
  }

  async function setupLand(map) {
    const layer = await basemap.setup(map, {
      tileUrl: panel.dataset.tileUrl, tileAttribution: panel.dataset.tileAttribution, landUrl: urls.land,
    });
    layer.on("click", (e) => {
      L.DomEvent.stopPropagation(e);
      const lat = e.latlng.lat, lon = L.Util.wrapNum(e.latlng.lng, [-180, 180], true);
      requestPlace({ lat: Number(lat.toFixed(5)), lon: Number(lon.toFixed(5)) }, lat.toFixed(3) + ", " + lon.toFixed(3));
    });
  }

  function setupSearch(map) {
    const input = el("city-search");
    const list = el("search-suggestions");
    let suggestions = [], active = -1, timer = 0, request = 0;

    function choose(city) {
      list.hidden = true;
      input.value = cityTitle(city);
      map.flyTo([city.lat, city.lon], Math.max(map.getZoom(), 6), { duration: 0.8 });
      requestPlace({ city: city.id }, cityTitle(city));
    }

    function draw() {
      list.replaceChildren();
      suggestions.forEach((city, i) => {
        const item = document.createElement("li");
        item.role = "option";
        item.id = "suggestion-" + i;
        item.className = i === active ? "active" : "";
        item.textContent = cityTitle(city);
        const pop = document.createElement("span");
        pop.className = "population";
        pop.textContent = city.population.toLocaleString("en");
        item.append(pop);
        item.addEventListener("mousedown", (e) => { e.preventDefault(); choose(city); });
        list.append(item);
      });
      list.hidden = suggestions.length === 0;
    }

    async function lookup() {
      const query = input.value.trim();
      const mine = ++request;
      if (!query) { suggestions = []; draw(); return; }
      const response = await fetch(urls.cities + "?" + new URLSearchParams({ q: query, limit: 8 }));
      if (!response.ok || mine !== request) return;
      suggestions = await response.json();
      active = suggestions.length ? 0 : -1;
      draw();
    }

    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 150); });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && suggestions.length) { active = (active + 1) % suggestions.length; draw(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && suggestions.length) { active = (active - 1 + suggestions.length) % suggestions.length; draw(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { choose(suggestions[active]); e.preventDefault(); }
      else if (e.key === "Escape") { list.hidden = true; }
    });
    input.addEventListener("blur", () => { list.hidden = true; });
  }

  window.geniusLociMap = function (map) {
    map.on("click", () => {
      showJob("The sea");
      showError("That is open water. Click a city or a point on land.");
    });
    setupLand(map);
    setupCities(map);
    setupSearch(map);
  };
})();
