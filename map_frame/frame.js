// The map's frame: Streamlit's component protocol (window messages) without a framework, in place of
// streamlit-folium's React frame, which loads Leaflet and the app's script one after another once its bundle has
// run. The first render runs the base map's script; a later render whose feature groups differ swaps them, as
// streamlit-folium's frame does. Nothing is sent back: panning and zooming never rerun the app.
(function () {
  "use strict";
  const send = (type, fields) => window.parent.postMessage(
    Object.assign({isStreamlitMessage: true, type: type}, fields), "*");
  const absolute = url => new URL(url, document.baseURI).href;
  const mapDiv = document.getElementById("map_div");
  const errorBox = document.getElementById("map_error");

  let frameHeight = null;
  const setFrameHeight = height => {
    if (height === frameHeight) return;
    frameHeight = height;
    send("streamlit:setFrameHeight", {height: height});
  };

  const loadScript = src => new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error("地图资源无法加载 / map asset failed to load: " + src));
    document.head.appendChild(script);
  });

  // Run code in the global scope, as a page script does (folium's scripts declare globals such as map_div).
  const run = code => {
    const script = document.createElement("script");
    script.textContent = code;
    document.body.appendChild(script);
  };

  // Stylesheets and scripts the page does not have yet (index.html already has Leaflet and bulk_points.js).
  async function loadAssets(cssLinks, jsLinks) {
    const styles = new Set([...document.querySelectorAll("link[rel=stylesheet]")].map(link => link.href));
    for (const href of cssLinks.filter(href => !styles.has(absolute(href)))) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.appendChild(link);
    }
    const scripts = new Set([...document.scripts].map(script => script.src));
    for (const src of jsLinks.filter(src => !scripts.has(absolute(src)))) await loadScript(src);
  }

  async function start(args) {
    await loadAssets(args.css_links, args.js_links);
    document.head.insertAdjacentHTML("beforeend", args.header);  // styles (scripts inserted so do not run)
    document.body.insertAdjacentHTML("beforeend", args.html);
    run(args.script + "\nwindow.map = map_div;");
  }

  let shown = null;  // the arguments last drawn
  async function draw(args) {
    if (!shown || args.feature_group !== shown.feature_group) {
      await loadAssets(args.css_links, args.js_links);
      (window.feature_group || []).forEach(layer => window.map.removeLayer(layer));
      window.feature_group = [];
      if (args.feature_group) run(args.feature_group);
    }
    if (!shown || args.height !== shown.height || !errorBox.hidden) {
      errorBox.hidden = true;
      mapDiv.style.height = args.height + "px";
      setFrameHeight(args.height);
      window.map.invalidateSize();
    }
    shown = args;
  }

  function fail(error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
    setFrameHeight(document.body.scrollHeight);
  }

  // Renders apply in order, each after the base map; one that fails shows its error and the next one tries again.
  let started = null;
  let drawing = Promise.resolve();
  window.addEventListener("message", event => {
    const data = event.data;
    if (!data || data.type !== "streamlit:render") return;
    if (!started) {  // take the map's room at once, so the page does not shift when it draws
      mapDiv.style.height = data.args.height + "px";
      setFrameHeight(data.args.height);
      started = start(data.args);
    }
    drawing = drawing.then(() => started).then(() => draw(data.args)).catch(fail);
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();
