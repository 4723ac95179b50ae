/* The atlas map: the shared base layer, cities by zoom, search, drawing a region, and the job panel. */
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
  let atlas = null, regionLayer = null; // the map and the layer of the drawn region's pins

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
    el("ground").hidden = true;
  }

  function showError(message) {
    el("job-progress").hidden = true;
    el("job-status").textContent = "";
    el("job-error").textContent = message;
    el("job-error").hidden = false;
  }

  function renderGround(job) {
    // A region job reports progress per view: 10% when it starts, 90% when the last view is painted.
    const total = job.inputs.spots.length;
    const painted = Math.max(0, Math.min(total, Math.round(((job.progress - 10) / 80) * total)));
    el("job-status").textContent = job.status === "running"
      ? "Painting view " + Math.min(painted + 1, total) + " of " + total + "…"
      : api.statusWords(job);
    el("job-progress").value = job.progress;
    if (job.status === "done" && job.region) {
      const region = job.region, reading = region.land_use;
      el("job-progress").hidden = true;
      el("ground-land-use").textContent = total + " view" + (total === 1 ? "" : "s") + " · land use: " +
        reading.urban_rural + ", mostly " + reading.land_use + " · " + job.model.name;
      el("ground-permalink").href = region.url;
      el("ground").hidden = false;
      window.GeniusLoci.ground.show(atlas, regionLayer, region.geometry, region.artworks, el("ground-strip"));
    } else if (job.status === "failed" || job.status === "cancelled") {
      showError(api.jobFailure(job));
    }
  }

  function render(job) {
    if (job.kind === "ground") return renderGround(job);
    el("job-status").textContent = api.statusWords(job);
    el("job-progress").value = job.progress;
    if (job.status === "done" && job.artwork) {
      const art = job.artwork;
      el("job-progress").hidden = true;
      el("job-image").src = art.image;
      el("job-image").className = api.pictureClass(art);
      el("job-image").alt = "An impression of " + el("job-title").textContent;
      const place = art.city ? art.city.name + ", " + art.city.country : art.lat.toFixed(3) + ", " + art.lon.toFixed(3);
      el("job-caption").textContent = place + " · seed " + art.seed + " · " + job.model.name + " ";
      el("job-permalink").href = art.url;
      const compose = el("job-compose");  // a scene of the same place, object by object
      if (compose) {
        const query = art.inputs && art.inputs.city ? { city: art.inputs.city } : { lat: art.lat, lon: art.lon };
        compose.href = compose.dataset.composeUrl + "?" + new URLSearchParams(query);
      }
      el("job-result").hidden = false;
    } else if (job.status === "failed" || job.status === "cancelled") {
      showError(api.jobFailure(job));
    }
  }

  async function follow(url, token) {
    try {
      await api.followJob(url, { onUpdate: render, isCurrent: () => token === currentJob, intervalMs: POLL_MS });
    } catch (error) {
      if (token === currentJob) showError(error.message);
    }
  }

  function requestPlace(inputs, title) { return request("place", inputs, title); }

  async function request(kind, inputs, title) {
    const token = ++currentJob;
    showJob(title);
    let job;
    try {
      job = await api.ask(urls.jobs, { kind: kind, inputs: inputs });
    } catch (error) {
      if (token === currentJob) showError(error.message);
      return;
    }
    if (token !== currentJob) return;
    render(job);
    if (!api.FINISHED.includes(job.status)) follow(job.url, token);
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

  // ---- Drawing a region (Leaflet.draw) ------------------------------------------------------

  const wrapLon = (lon) => L.Util.wrapNum(lon, [-180, 180], true);
  const round = (value) => Number(value.toFixed(5));

  function setupDrawing(map) {
    regionLayer = L.layerGroup().addTo(map);
    map.addControl(new L.Control.Draw({
      position: "topleft",
      draw: {
        polyline: false, circle: false, circlemarker: false, marker: {},
        rectangle: { showArea: false }, polygon: { allowIntersection: false, showArea: false },
      },
    }));
    map.on(L.Draw.Event.CREATED, (e) => {
      regionLayer.clearLayers();
      e.layer.addTo(regionLayer);
      if (e.layerType === "marker") {
        const point = e.layer.getLatLng();
        request("ground", { point: { lat: round(point.lat), lon: round(wrapLon(point.lng)) } },
          "The ground at " + point.lat.toFixed(3) + ", " + wrapLon(point.lng).toFixed(3));
        return;
      }
      // The server unwraps a ring that crosses the antimeridian; send every vertex on the globe.
      const geometry = e.layer.toGeoJSON().geometry;
      geometry.coordinates = geometry.coordinates.map((ring) => ring.map(([lon, lat]) => [round(wrapLon(lon)), round(lat)]));
      request("ground", { region: geometry }, "The region you drew");
    });
  }

  window.geniusLociMap = function (map) {
    atlas = map;
    map.on("click", () => {
      showJob("The sea");
      showError("That is open water. Click a city or a point on land.");
    });
    setupLand(map);
    setupCities(map);
    setupSearch(map);
    setupDrawing(map);
  };
})();
