/* Ground views of a region: the drawing and one numbered pin per view on a map, and the strip
   of views in the same order (west to east). Shared by the atlas map and the region page. */
window.GeniusLoci = window.GeniusLoci || {};
window.GeniusLoci.ground = (function () {
  "use strict";

  function continuous(lon, near) {
    // The copy of `lon` nearest `near`, so pins of a region across the antimeridian sit by it.
    return lon + 360 * Math.round((near - lon) / 360);
  }

  function shape(geometry) {
    if (geometry.type === "Point") {
      return L.circleMarker([geometry.coordinates[1], geometry.coordinates[0]], { radius: 6, className: "region-shape" });
    }
    const rings = geometry.coordinates.map((ring) => {
      const out = [];
      ring.forEach(([lon, lat]) => { out.push([lat, out.length ? continuous(lon, out[out.length - 1][1]) : lon]); });
      return out;
    });
    return L.polygon(rings, { color: "#7a2e1d", weight: 2, fillOpacity: 0.08, className: "region-shape" });
  }

  const pictureClass = window.GeniusLoci.api.pictureClass;

  function pin(number) {
    return L.divIcon({ className: "view-pin", html: "<span>" + number + "</span>", iconSize: [22, 22] });
  }

  // views: [{url, thumbnail, lat, lon, place, upsampled}], in strip order.
  function show(map, layer, geometry, views, strip) {
    layer.clearLayers();
    const outline = shape(geometry).addTo(layer);
    const centre = outline.getBounds ? outline.getBounds().getCenter() : outline.getLatLng();
    views.forEach((view, index) => {
      const marker = L.marker([view.lat, continuous(view.lon, centre.lng)], { icon: pin(index + 1), title: view.place });
      marker.bindPopup('<a href="' + view.url + '"><img class="' + pictureClass(view) + '" src="' + view.thumbnail +
        '" width="128" height="128" alt=""></a>');
      marker.addTo(layer);
    });
    if (strip) {
      strip.replaceChildren(...views.map((view, index) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = view.url;
        link.dataset.view = String(index + 1);
        const image = document.createElement("img");
        image.src = view.thumbnail;
        image.alt = "The ground at " + view.place;
        image.className = pictureClass(view);
        image.width = image.height = 128;
        const number = document.createElement("span");
        number.className = "pin-number";
        number.textContent = String(index + 1);
        link.append(image, number, " " + view.place);
        item.append(link);
        return item;
      }));
      strip.hidden = views.length === 0;
    }
    if (outline.getBounds) map.fitBounds(outline.getBounds(), { padding: [30, 30], maxZoom: 11, animate: false });
    else map.setView(outline.getLatLng(), Math.max(map.getZoom(), 8), { animate: false });
  }

  return { show: show };
})();
