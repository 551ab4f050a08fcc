/* L.bbBulkPoints: many points drawn in one pass on one canvas, filtered in the browser (beibei_geo/bulkpoints.py).
 *
 * The rows ([{p: [lon, lat], id, n, m, s, t, c, l}], see beibei_geo/webgl.py) come inline or from a URL fetched
 * once per page: window.__bbBulkCache keeps one promise per URL, so a layer made again for a new filter reuses
 * the parsed rows. Hover shows the name, a click a popup whose details come from the details file holding its
 * row (files of `detailsChunk` rows, each fetched on the first click that needs it).
 * bindFilePopups gives a folium GeoJson layer (smaller layers, lines, areas) the same popups from the same files.
 * Every string from the data reaches the page through textContent only.
 */
(function (L) {
  'use strict';

  const cache = (window.__bbBulkCache = window.__bbBulkCache || {});
  const projections = new WeakMap(); // rows -> {crs code: {x, y}} at zoom 0
  const DENSE = 500; // more markers than this in view, and they shrink (by the square root) …
  const MIN_RADIUS = 0.3; // … to at least this share of the layer's radius

  function own(object, key) {
    return object && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
  }

  function load(url) {
    if (!own(cache, url)) {
      cache[url] = fetch(url).then((response) => {
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        return response.json();
      });
      cache[url].catch(() => delete cache[url]); // a later layer tries again
    }
    return cache[url];
  }

  /** Indices of the point rows that pass the filter {mask, statuses, towns, rows}; null means "no restriction".
   * rows: base64 of a bit per row (bit i in byte i >> 3), the rows a text search found. */
  function filterRows(rows, filter) {
    const bits = filter.rows === null ? null : Uint8Array.from(atob(filter.rows), (c) => c.charCodeAt(0));
    const shown = [];
    rows.forEach((row, i) => {
      if (Array.isArray(row.p)
        && (filter.mask === null || (row.m & filter.mask) !== 0)
        && (filter.statuses === null || filter.statuses.includes(row.s))
        && (filter.towns === null || filter.towns.includes(row.t))
        && (bits === null || (bits[i >> 3] >> (i & 7)) & 1)) shown.push(i);
    });
    return shown;
  }

  function projected(rows, crs) {
    const byCrs = projections.get(rows) || {};
    projections.set(rows, byCrs);
    if (!byCrs[crs.code]) {
      const x = new Float64Array(rows.length);
      const y = new Float64Array(rows.length);
      rows.forEach((row, i) => {
        if (!Array.isArray(row.p)) return;
        const point = crs.latLngToPoint(L.latLng(row.p[1], row.p[0]), 0);
        x[i] = point.x;
        y[i] = point.y;
      });
      byCrs[crs.code] = { x, y };
    }
    return byCrs[crs.code];
  }

  // ------------------------------------------------------------------ hover and click, shared by a map's layers
  function layersOf(map) {
    return map._bbBulkLayers || (map._bbBulkLayers = []);
  }

  function pick(map, event) {
    let best = null;
    for (const layer of layersOf(map)) {
      const hit = layer._nearest(event.layerPoint);
      if (hit && (!best || hit.distance <= best.distance)) best = hit; // ties: the layer drawn on top
    }
    return best;
  }

  function onMouseMove(event) {
    const map = this;
    const hit = pick(map, event);
    const tip = map._bbBulkTip || (map._bbBulkTip = L.tooltip({ direction: 'top', className: 'bb-bulk-tooltip' }));
    map.getContainer().style.cursor = hit ? 'pointer' : '';
    if (!hit) {
      map.closeTooltip(tip);
      return;
    }
    const key = `${L.stamp(hit.layer)}:${hit.index}`;
    if (tip._bbKey !== key) {
      const row = hit.layer._rows[hit.index];
      const name = document.createElement('span');
      name.textContent = row.n;
      tip.options.offset = L.point(0, -hit.layer._radius);
      tip.setLatLng(L.latLng(row.p[1], row.p[0])).setContent(name);
      tip._bbKey = key;
    }
    if (!map.hasLayer(tip)) map.openTooltip(tip);
  }

  function onMouseOut() {
    this.getContainer().style.cursor = '';
    if (this._bbBulkTip) this.closeTooltip(this._bbBulkTip);
  }

  function onClick(event) {
    const hit = pick(this, event);
    if (hit) hit.layer._openPopup(hit.index);
  }

  const MAP_EVENTS = { mousemove: onMouseMove, mouseout: onMouseOut, click: onClick };

  // ------------------------------------------------------------------------------------------------- popup
  function element(tag, text, css) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (css) node.style.cssText = css;
    return node;
  }

  const TH = 'text-align:left;vertical-align:top;padding:2px 8px 2px 0;color:#555;white-space:nowrap;font-weight:normal';

  /** The popup of one row as DOM nodes, like mapview.popup_html: text = the `popup` option, detail may be {}. */
  function popupContent(row, detail, text) {
    const labels = text.labels;
    const root = element('div', undefined, 'font-size:12px');
    root.className = 'bb-popup';
    root.append(element('b', row.n, 'font-size:14px'));
    if (text.lang === 'en' && detail.name_en) root.append(Object.assign(element('div', detail.name_en), { className: 'bb-sub' }));
    if (detail.schematic) root.append(Object.assign(element('div', labels.schematic), { className: 'bb-note' }));
    const table = element('table', undefined, 'border-collapse:collapse;margin:4px 0');
    const line = (label, value) => {
      if (value === undefined || value === null || value === '') return;
      table.insertRow().append(element('th', label, TH), element('td', String(value), 'padding:2px 0'));
    };
    const goals = detail.goals || text.goals.map((_, bit) => bit).filter((bit) => row.m & (1 << bit));
    let precision = text.precisions[row.l] || '';
    if (typeof detail.error_m === 'number') {
      precision += ` (${labels.error.split('{error}').join(detail.error_m.toLocaleString('en-US'))})`;
    }
    line(labels.layer, text.layer);
    line(labels.goals, goals.map((goal) => text.goals[goal]).filter(Boolean).join(' · '));
    line(labels.category, text.categories[row.c] || detail.category);
    line(labels.status, text.statuses[row.s]);
    line(labels.township, text.towns[row.t]);
    line(labels.location, precision);
    line(labels.location_source, detail.location_source);
    line(labels.location_note, detail.location_note);
    line(labels.description, detail.description);
    line(labels.source, detail.source);
    line(labels.quote, detail.quote && `“${detail.quote}”`);
    for (const [name, value] of detail.extra || []) {
      const extra = own(text.extra, name) || {};
      line(extra.label || name, own(extra.values, value) || value);
    }
    root.append(table);
    const indicators = text.indicators[goals[0]] || [];
    if (indicators.length) {
      const list = element('ul');
      list.append(...indicators.map((item) => element('li', item)));
      root.append(element('b', labels.indicators), list);
    }
    return root;
  }

  /** The popup details of row `index` of a layer part: from the inline `details`, or from the details file that
   * holds the row (`detailsUrl` with `{chunk}` = index / `detailsChunk`; fetched on first use, then cached);
   * {} when there are none or the file fails. */
  function detailOf(options, index) {
    const { details, detailsUrl, detailsChunk } = options;
    if (details) return Promise.resolve(details[index] || {});
    if (!detailsUrl) return Promise.resolve({});
    const chunk = Math.floor(index / detailsChunk);
    return load(detailsUrl.split('{chunk}').join(String(chunk)))
      .then((items) => items[index - chunk * detailsChunk] || {}, (error) => {
        console.error('bbBulkPoints:', error);
        return {};
      });
  }

  /** Popups for the features of a folium GeoJson layer that carry only their `row` in a layer part's files: built
   * like a bulk layer's popup from the rows and details files (fetched on the first click, then cached). */
  function bindFilePopups(geojson, options) {
    geojson.on('click', (event) => {
      const layer = event.propagatedFrom || event.layer;
      const index = layer.feature.properties.row;
      const map = geojson._map;
      Promise.all([load(options.url), detailOf(options, index)]).then(([rows, detail]) => {
        if (geojson._map !== map) return; // removed meanwhile
        const anchor = layer.getLatLng ? layer.getLatLng() : event.latlng;
        L.popup({ maxWidth: 380 }).setLatLng(anchor)
          .setContent(popupContent(rows[index], detail, options.popup)).openOn(map);
      }, (error) => console.error('bbFilePopups:', error));
    });
  }

  // -------------------------------------------------------------------------------------------- compositing
  /** Add a sprite's pixels at (x0, y0) to `coverage` (the opacity of each canvas pixel), as source-over does. */
  function stamp(coverage, width, height, sprite, x0, y0) {
    const { dx, dy, alpha } = sprite;
    for (let j = 0; j < alpha.length; j++) {
      const px = x0 + dx[j];
      const py = y0 + dy[j];
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      const p = py * width + px;
      coverage[p] += alpha[j] * (1 - coverage[p]);
    }
  }

  /** `image` (blank) painted in colour `rgb` with the opacities of `coverage`. */
  function colour(image, coverage, rgb) {
    const data = image.data;
    for (let p = 0; p < coverage.length; p++) {
      if (coverage[p] === 0) continue;
      data[4 * p] = rgb[0];
      data[4 * p + 1] = rgb[1];
      data[4 * p + 2] = rgb[2];
      data[4 * p + 3] = Math.round(coverage[p] * 255);
    }
    return image;
  }

  // ------------------------------------------------------------------------------------------------- layer
  L.BbBulkPoints = L.Layer.extend({
    // Its own pane just under the overlay pane: the few markers of small layers stay visible on top.
    options: { pane: 'bbBulk', padding: 0.1, tolerance: 4 },

    initialize(options) {
      L.setOptions(this, options);
      this.shownCount = 0; // rows passing the filter
      this.drawn = false; // true once drawn after the data arrived
      this._rows = null;
      this._hits = 0;
    },

    onAdd(map) {
      if (!map.getPane(this.options.pane)) map.createPane(this.options.pane).style.zIndex = 390;
      this._canvas = L.DomUtil.create('canvas', 'bb-bulk-points leaflet-zoom-animated');
      this._canvas.style.pointerEvents = 'none'; // the map's own events drive hover and click
      this.getPane().appendChild(this._canvas);
      const layers = layersOf(map);
      if (!layers.length) map.on(MAP_EVENTS, map);
      layers.push(this);
      this._reset();
      const rows = this.options.rows ? Promise.resolve(this.options.rows) : load(this.options.url);
      rows.then((data) => {
        if (this._map !== map) return; // removed meanwhile
        this._rows = data;
        this._shown = filterRows(data, this.options.filter);
        this.shownCount = this._shown.length;
        this._reset();
      }, (error) => console.error('bbBulkPoints:', error));
    },

    onRemove(map) {
      const layers = layersOf(map);
      layers.splice(layers.indexOf(this), 1);
      if (!layers.length) {
        map.off(MAP_EVENTS, map);
        onMouseOut.call(map);
      }
      L.DomUtil.remove(this._canvas);
    },

    getEvents() {
      const events = { viewreset: this._reset, zoom: this._onZoom, moveend: this._reset, resize: this._reset };
      if (this._zoomAnimated) events.zoomanim = this._onZoomAnim;
      return events;
    },

    // While zooming, the canvas is scaled like an L.Renderer's and not hit-tested; moveend draws it anew.
    _onZoomAnim(event) {
      this._updateTransform(event.center, event.zoom);
    },

    _onZoom() {
      this._updateTransform(this._map.getCenter(), this._map.getZoom());
    },

    _updateTransform(center, zoom) {
      const map = this._map;
      const scale = map.getZoomScale(zoom, this._zoom);
      const offset = map.getSize().multiplyBy(0.5 + this.options.padding).multiplyBy(-scale)
        .add(map.project(this._center, zoom)).subtract(map._getNewPixelOrigin(center, zoom));
      L.DomUtil.setTransform(this._canvas, offset, scale);
      this._hits = 0;
    },

    /** Place the canvas over the view (plus padding), size it and draw. */
    _reset() {
      const map = this._map;
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      this._min = map.containerPointToLayerPoint(size.multiplyBy(-this.options.padding)).round();
      this._size = size.multiplyBy(1 + 2 * this.options.padding).round();
      this._center = map.getCenter();
      this._zoom = map.getZoom();
      L.DomUtil.setPosition(this._canvas, this._min);
      Object.assign(this._canvas, { width: ratio * this._size.x, height: ratio * this._size.y });
      Object.assign(this._canvas.style, { width: `${this._size.x}px`, height: `${this._size.y}px` });
      if (this._rows) this._draw(this._canvas.getContext('2d'), ratio);
    },

    /** Every shown row in view as a copy of one pre-drawn marker (a sprite), composited in script into one image
     * put on the canvas at once: far cheaper than thousands of dashed circles, or of drawImage calls, on a
     * software-rendered canvas. Dense views get smaller markers so the spread stays readable. Keeps the rows'
     * canvas positions for hit tests. */
    _draw(ctx, ratio) {
      const map = this._map;
      const { x, y } = projected(this._rows, map.options.crs);
      const scale = map.getZoomScale(this._zoom, 0);
      const origin = map.getPixelOrigin().add(this._min);
      const reach = this.options.style.radius + this.options.style.weight;
      const inView = [];
      for (const i of this._shown) {
        const px = x[i] * scale - origin.x;
        const py = y[i] * scale - origin.y;
        if (px >= -reach && py >= -reach && px <= this._size.x + reach && py <= this._size.y + reach) inView.push(i);
      }
      this._radius = Math.max(MIN_RADIUS, Math.min(1, Math.sqrt(DENSE / Math.max(inView.length, 1))))
        * this.options.style.radius;
      const sprite = this._sprite(ratio);
      const { width, height } = this._canvas;
      const coverage = new Float32Array(width * height);
      this._hitX = new Float32Array(inView.length);
      this._hitY = new Float32Array(inView.length);
      this._hitIndex = Int32Array.from(inView);
      inView.forEach((i, k) => {
        const px = x[i] * scale - origin.x;
        const py = y[i] * scale - origin.y;
        stamp(coverage, width, height, sprite, Math.round(px * ratio) - sprite.half,
          Math.round(py * ratio) - sprite.half);
        this._hitX[k] = px;
        this._hitY[k] = py;
      });
      ctx.putImageData(colour(ctx.createImageData(width, height), coverage, sprite.rgb), 0, 0);
      this._hits = inView.length;
      this.drawn = true;
    },

    /** One marker (fill, then the outline, dashed for approximate places) at the current radius, in device pixels:
     * {half, dx, dy, alpha} of its pixels that are not transparent, and its colour. All of them have the layer's
     * colour, so compositing markers only adds up their opacities. */
    _sprite(ratio) {
      const style = this.options.style;
      const key = `${this._radius}/${ratio}`;
      if (this._spriteKey !== key) {
        const half = Math.ceil(this._radius + style.weight);
        const canvas = document.createElement('canvas');
        const side = (canvas.width = canvas.height = 2 * half * ratio);
        const g = canvas.getContext('2d');
        g.scale(ratio, ratio);
        g.beginPath();
        g.arc(half, half, this._radius, 0, 2 * Math.PI);
        g.fillStyle = g.strokeStyle = style.color;
        g.globalAlpha = style.fillOpacity;
        g.fill();
        g.globalAlpha = 1;
        g.lineWidth = style.weight;
        g.setLineDash(style.dash || []);
        g.stroke();
        const pixels = g.getImageData(0, 0, side, side).data;
        const dx = [];
        const dy = [];
        const alpha = [];
        for (let p = 0; p < side * side; p++) {
          if (pixels[4 * p + 3] === 0) continue;
          dx.push(p % side);
          dy.push(Math.floor(p / side));
          alpha.push(pixels[4 * p + 3] / 255);
        }
        g.fillRect(0, 0, 1, 1); // one opaque pixel: the colour as the canvas reads style.color
        const rgb = Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3));
        this._spriteMask = { half: half * ratio, dx, dy, alpha, rgb };
        this._spriteKey = key;
      }
      return this._spriteMask;
    },

    /** The drawn row nearest to a layer point, within radius + tolerance: {layer, index, distance²} or null. */
    _nearest(layerPoint) {
      const px = layerPoint.x - this._min.x;
      const py = layerPoint.y - this._min.y;
      let best = -1;
      let bestDistance = (this._radius + this.options.tolerance) ** 2;
      for (let k = 0; k < this._hits; k++) {
        const distance = (this._hitX[k] - px) ** 2 + (this._hitY[k] - py) ** 2;
        if (distance <= bestDistance) {
          best = k;
          bestDistance = distance; // later rows are drawn on top: they win ties
        }
      }
      return best < 0 ? null : { layer: this, index: this._hitIndex[best], distance: bestDistance };
    },

    _openPopup(index) {
      const map = this._map;
      const row = this._rows[index];
      detailOf(this.options, index).then((detail) => {
        if (this._map !== map) return;
        L.popup({ maxWidth: 380 }).setLatLng(L.latLng(row.p[1], row.p[0]))
          .setContent(popupContent(row, detail, this.options.popup)).openOn(map);
      });
    },
  });

  L.BbBulkPoints.filterRows = filterRows;
  L.BbBulkPoints.layersOf = layersOf;
  L.BbBulkPoints.bindFilePopups = bindFilePopups;
  L.BbBulkPoints.detailOf = detailOf;
  L.bbBulkPoints = (options) => new L.BbBulkPoints(options);
})(window.L);
