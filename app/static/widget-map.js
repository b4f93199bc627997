// The map widget: draws the listed places (data-lat/data-lon) on a Leaflet map; popups open
// the full page in a new tab like the list's links.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var items = document.querySelectorAll("#place-list li[data-lat]");
  el.hidden = false;
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  var bounds = [];
  items.forEach(function (li) {
    var lat = parseFloat(li.dataset.lat), lon = parseFloat(li.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) return;
    var link = li.querySelector("a");
    var marker = L.marker([lat, lon], { title: link.firstChild.textContent }).addTo(map);
    var a = document.createElement("a");
    a.href = link.href;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = link.firstChild.textContent;
    marker.bindPopup(a);
    bounds.push([lat, lon]);
  });
  if (bounds.length) map.fitBounds(bounds, { maxZoom: 16 }); else map.setView([50.846, 4.352], 12);
})();
