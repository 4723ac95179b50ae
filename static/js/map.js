/* The atlas map: land outlines served by the site, cities by zoom, search, and the job panel. */
(function () {
  "use strict";

  const panel = document.getElementById("panel");
  const urls = {
    land: panel.dataset.landUrl,
    cities: panel.dataset.citiesUrl,
    jobs: panel.dataset.jobsUrl,
  };
  const POLL_MS = 400;
  let currentJob = 0; // a newer request makes older polls stop

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

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
    while (token === currentJob) {
      let response;
      try {
        response = await fetch(url, { headers: { Accept: "application/json" } });
      } catch (e) {
        showError("The site cannot be reached. Check your connection and try again.");
        return;
      }
      if (!response.ok) { showError("The job could not be read (HTTP " + response.status + ")."); return; }
      const job = await response.json();
      if (token !== currentJob) return;
      render(job);
      if (["done", "failed", "cancelled"].includes(job.status)) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async function requestPlace(inputs, title) {
    const token = ++currentJob;
    showJob(title);
    let response;
    try {
      response = await fetch(urls.jobs, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ kind: "place", inputs: inputs }),
      });
    } catch (e) {
      showError("The site cannot be reached. Check your connection and try again.");
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (token !== currentJob) return;
    if (response.status === 202 || response.status === 200) {
      render(body);
      if (!["done", "failed", "cancelled"].includes(body.status)) follow(body.url, token);
    } else if (response.status === 429) {
      showError("Too many requests at once. Wait a minute, then click again.");
    } else {
      showError(messagesOf(body) || "The request was refused (HTTP " + response.status + ").");
    }
  }

  // ---- The map -------------------------------------------------------------------------

  function citiesForZoom(zoom) {
    return Math.min(400, Math.round(25 * Math.pow(1.8, zoom - 2)));
  }

  function viewBbox(map) {
    const b = map.getBounds();
    let west = b.getWest(), east = b.getEast();
    if (east - west >= 360) { west = -180; east = 180; }
    const wrap = (lon) => ((((lon + 180) % 360) + 360) % 360) - 180;
    if (east - west < 360) { west = wrap(west); east = wrap(east); if (east === -180) east = 180; }
    const clampLat = (lat) => Math.max(-90, Math.min(90, lat));
    return [west, clampLat(b.getSouth()), east, clampLat(b.getNorth())].map((v) => v.toFixed(4)).join(",");
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
      const params = new URLSearchParams({ bbox: viewBbox(map), limit: citiesForZoom(map.getZoom()) });
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

  function unwrapRings(geometry) {
    // Rings that cross the antimeridian jump from +180 to -180; make their longitudes
    // continuous so no edge is drawn across the whole map.
    const unwrap = (ring) => {
      for (let i = 1; i < ring.length; i++) {
        while (ring[i][0] - ring[i - 1][0] > 180) ring[i][0] -= 360;
        while (ring[i][0] - ring[i - 1][0] < -180) ring[i][0] += 360;
      }
      // Then move the whole ring by a multiple of 360 so most of it lies on the map.
      const lons = ring.map((point) => point[0]).sort((a, b) => a - b);
      const shift = -360 * Math.round(lons[Math.floor(lons.length / 2)] / 360);
      if (shift) ring.forEach((point) => { point[0] += shift; });
    };
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    polygons.forEach((polygon) => polygon.forEach(unwrap));
  }

  async function setupLand(map, online) {
    const response = await fetch(urls.land);
    const topology = await response.json();
    const land = topojson.feature(topology, topology.objects.land);
    land.features.forEach((feature) => unwrapRings(feature.geometry));
    const style = online
      ? { stroke: false, fillOpacity: 0 }
      : { color: "#8c7b62", weight: 0.8, fillColor: "#efe6d2", fillOpacity: 1 };
    const layer = L.geoJSON(land, { style: style }).addTo(map);
    layer.on("click", (e) => {
      L.DomEvent.stopPropagation(e);
      const lat = e.latlng.lat, lon = L.Util.wrapNum(e.latlng.lng, [-180, 180], true);
      requestPlace({ lat: Number(lat.toFixed(5)), lon: Number(lon.toFixed(5)) }, lat.toFixed(3) + ", " + lon.toFixed(3));
    });
    layer.bringToBack();
    map.getContainer().dataset.landReady = "true";
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
    const tileUrl = panel.dataset.tileUrl;
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: panel.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
    } else {
      map.getContainer().classList.add("offline-basemap");
    }
    map.on("click", () => {
      showJob("The sea");
      showError("That is open water. Click a city or a point on land.");
    });
    setupLand(map, Boolean(tileUrl));
    setupCities(map);
    setupSearch(map);
  };
})();
