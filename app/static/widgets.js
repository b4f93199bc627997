// Mutu widgets for partner sites. Include once, anywhere:
//   <script src="https://MUTU-HOST/widgets.js" data-mutu-widget="agenda" data-category="repair-cafe" async></script>
// or mark places with <div data-mutu-widget="map" data-commune="1050"></div>.
// Each marked element becomes an iframe of MUTU-HOST/widget/<kind>; its data-* attributes are
// the widget's parameters (data-slug names the card's alternative). The iframe takes the height
// the widget reports by postMessage; messages from any other origin are ignored.
(function () {
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var KINDS = { agenda: "Agenda", map: "Map", card: "Card" };
  var frames = [];

  function source(el) {
    var kind = el.getAttribute("data-mutu-widget");
    if (!KINDS.hasOwnProperty(kind)) return null;
    var path = "/widget/" + kind;
    var params = new URLSearchParams();
    for (var i = 0; i < el.attributes.length; i++) {
      var attr = el.attributes[i];
      if (attr.name.indexOf("data-") !== 0) continue;
      var name = attr.name.slice(5);
      if (name === "mutu-widget" || name === "mutu-done" || name === "title" || name === "height") continue;
      if (name === "slug") continue;
      params.append(name, attr.value);
    }
    if (kind === "card") {
      var slug = el.getAttribute("data-slug");
      if (!slug) return null;
      path += "/" + encodeURIComponent(slug);
    }
    var query = params.toString();
    return origin + path + (query ? "?" + query : "");
  }

  function embed(el) {
    if (el.hasAttribute("data-mutu-done")) return;
    el.setAttribute("data-mutu-done", "");
    var src = source(el);
    if (!src) return;
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = el.getAttribute("data-title") || "Mutu · " + KINDS[el.getAttribute("data-mutu-widget")];
    frame.loading = "lazy";
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = (parseInt(el.getAttribute("data-height"), 10) || 400) + "px";
    frame.className = "mutu-widget";
    frames.push(frame);
    if (el === script) el.parentNode.insertBefore(frame, el.nextSibling);
    else el.parentNode.replaceChild(frame, el);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== "mutu-widget-height" || typeof data.height !== "number") return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        var height = Math.max(40, Math.min(Math.round(data.height), 5000));
        frames[i].style.height = height + "px";
        frames[i].setAttribute("data-mutu-height", String(height));
      }
    }
  });

  function run() {
    var marked = document.querySelectorAll("[data-mutu-widget]");
    for (var i = 0; i < marked.length; i++) {
      if (marked[i].tagName === "SCRIPT" && marked[i] !== script) continue;
      embed(marked[i]);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
