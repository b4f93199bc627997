// Tells the host page (widgets.js) how tall this widget is, so its iframe needs no scrollbar.
// The height is not secret: any origin may receive it; the host checks where it came from.
(function () {
  if (window.parent === window) return;
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "mutu-widget-height", height: height }, "*");
  }
  window.addEventListener("load", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.documentElement);
  send();
})();
