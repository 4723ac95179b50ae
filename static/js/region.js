/* The region page: its drawing and numbered pins of its views on the shared base map. */
(function () {
  "use strict";

  window.geniusLociRegionMap = async function (map) {
    const panel = document.getElementById("region-panel");
    const data = JSON.parse(document.getElementById("region-data").textContent);
    await window.GeniusLoci.basemap.setup(map, {
      tileUrl: panel.dataset.tileUrl, tileAttribution: panel.dataset.tileAttribution, landUrl: panel.dataset.landUrl,
    });
    window.GeniusLoci.ground.show(map, L.layerGroup().addTo(map), data.geometry, data.views, null);
    map.getContainer().dataset.pins = String(data.views.length);
  };
})();
