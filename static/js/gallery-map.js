/* The map of artworks: each at its place, thinned by the server to one per grid cell at the
   current zoom (the most viewed), with a count of the artworks it stands for. */
(function () {
  "use strict";

  const panel = document.getElementById("artwork-map-panel");
  const basemap = window.GeniusLoci.basemap;

  function markerIcon(artwork) {
    const box = document.createElement("div");
    const image = document.createElement("img");
    image.src = artwork.thumbnail;
    image.alt = artwork.title;
    image.className = window.GeniusLoci.api.pictureClass(artwork);
    box.append(image);
    if (artwork.cell_count > 1) {
      const count = document.createElement("span");
      count.className = "artwork-marker-count";
      count.textContent = String(artwork.cell_count);
      box.append(count);
    }
    return L.divIcon({ html: box, className: "artwork-marker", iconSize: [64, 64], iconAnchor: [32, 32], popupAnchor: [0, -32] });
  }

  function popup(artwork) {
    const box = document.createElement("div");
    box.className = "artwork-popup";
    const link = document.createElement("a");
    link.href = artwork.url;
    link.textContent = artwork.title;
    const meta = document.createElement("p");
    meta.textContent = artwork.kind + " · " + artwork.view_count + " view" + (artwork.view_count === 1 ? "" : "s") +
      (artwork.cell_count > 1 ? " · " + (artwork.cell_count - 1) + " more nearby" : "");
    box.append(link, meta);
    return box;
  }

  function setupArtworks(map) {
    const layer = L.layerGroup().addTo(map);
    const filters = new URLSearchParams(panel.dataset.filters);
    let request = 0;
    async function refresh() {
      const mine = ++request;
      const params = new URLSearchParams(filters);
      params.set("bbox", basemap.viewBbox(map));
      params.set("zoom", String(Math.round(map.getZoom())));
      let artworks;
      try {
        const response = await fetch(panel.dataset.markersUrl + "?" + params, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        artworks = await response.json();
      } catch (e) { return; }
      if (mine !== request) return;
      layer.clearLayers();
      for (const artwork of artworks) {
        L.marker([artwork.lat, artwork.lon], { icon: markerIcon(artwork), title: artwork.title, riseOnHover: true })
          .bindPopup(popup(artwork))
          .addTo(layer);
      }
      map.getContainer().dataset.artworks = String(artworks.length);
    }
    map.on("moveend", refresh);
    refresh();
  }

  window.geniusLociArtworkMap = function (map) {
    basemap.setup(map, {
      tileUrl: panel.dataset.tileUrl, tileAttribution: panel.dataset.tileAttribution, landUrl: panel.dataset.landUrl,
    });
    if (panel.dataset.extent) {
      const [west, south, east, north] = panel.dataset.extent.split(",").map(Number);
      map.fitBounds([[south, west], [north, east]], { maxZoom: 6, padding: [60, 60], animate: false });
    }
    setupArtworks(map);
  };
})();
