// Enhances /sparql: replaces the plain form by the YASGUI editor (@zazuko/yasgui from npm),
// querying this page's own endpoint, with the named queries listed on the page as example tabs.
// Nothing is persisted in the browser's storage, so every visit starts from the page's queries.
(function () {
  var el = document.getElementById("yasgui");
  var lib = window.Yasgui;
  var Yasgui = lib && (lib.default || lib.Yasgui || lib);
  if (!el || typeof Yasgui !== "function") return;
  var endpoint = el.getAttribute("data-endpoint");
  var form = document.getElementById("query-form");
  var first = document.getElementById("query");
  var examples = Array.prototype.slice.call(document.querySelectorAll("#examples pre.example"));

  el.hidden = false;
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    populateFromUrl: false,
    autofocus: false,
    persistenceId: null,
    yasqe: { persistenceId: null },
    yasr: { persistenceId: null },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
  });

  var tab = yasgui.getTab();
  tab.setName("Example");
  tab.setQuery(first ? first.value : "");
  examples.forEach(function (pre) {
    yasgui.addTab(false, {
      name: pre.getAttribute("data-title"),
      yasqe: { value: pre.textContent },
    });
  });
  yasgui.selectTabId(tab.getId());
  if (form) form.hidden = true;
  document.body.classList.add("has-yasgui");
})();
