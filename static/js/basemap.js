/* The base layer every map of the site shares: online tiles when the site is configured with
   a tile URL, else land outlines served by the site itself, so a map works with no internet.
   Also the view's bounding box in the form the API takes. */
window.GeniusLoci = window.GeniusLoci || {};
window.GeniusLoci.basemap = (function () {
  "use strict";

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

  async function addLand(map, landUrl, online) {
    const response = await fetch(landUrl);
    const topology = await response.json();
    const land = topojson.feature(topology, topology.objects.land);
    land.features.forEach((feature) => unwrapRings(feature.geometry));
    const style = online
      ? { stroke: false, fillOpacity: 0 }
      : { color: "#8c7b62", weight: 0.8, fillColor: "#efe6d2", fillOpacity: 1 };
    const layer = L.geoJSON(land, { style: style }).addTo(map);
    layer.bringToBack();
    map.getContainer().dataset.landReady = "true";
    return layer;
  }

  function setup(map, settings) {
    // settings: {tileUrl, tileAttribution, landUrl}; resolves to the land layer (clickable
    // even over tiles, where it is drawn invisible).
    if (settings.tileUrl) {
      L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution, maxZoom: 18 }).addTo(map);
    } else {
      map.getContainer().classList.add("offline-basemap");
    }
    return addLand(map, settings.landUrl, Boolean(settings.tileUrl));
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

  return { setup: setup, viewBbox: viewBbox };
})();
