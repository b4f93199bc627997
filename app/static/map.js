// Enhances /places: draws the listed places (data-lat/data-lon) on a Leaflet map.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var items = document.querySelectorAll("#place-list li[data-lat]");
  el.hidden = false;
  var map = L.map(el);
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  var bounds = [];
  items.forEach(function (li) {
    var lat = parseFloat(li.dataset.lat), lon = parseFloat(li.dataset.lon);
    var link = li.querySelector("a");
    var marker = L.marker([lat, lon]).addTo(map);
    var a = document.createElement("a");
    a.href = link.getAttribute("href");
    a.textContent = link.textContent;
    marker.bindPopup(a);
    bounds.push([lat, lon]);
  });
  if (bounds.length) map.fitBounds(bounds, { maxZoom: 16 }); else map.setView([50.846, 4.352], 12);
})();
