// storenet web map. Plain JavaScript, no build step: Leaflet and leaflet.markercluster are
// loaded from /assets/vendor before this file. Every answer comes from the /v1 API; the page only
// draws it (open-now, nearest, along-route and planning figures are computed by the service).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  const state = {
    chains: new Map(), // id -> chain from /v1/chains
    municipalities: new Map(), // code -> name
    outlets: [], // the outlets the current chain/category filter shows
    markers: new Map(), // outlet id -> Leaflet marker
    plannerKey: null,
    lastRoute: [], // ids along the last route, in route order
  };

  // ---------- small helpers ----------

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({
      '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
    })[c]);
  }

  function km(m) {
    return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} km`;
  }

  function status(msg) {
    $('status').textContent = msg;
  }

  async function api(path, opts) {
    const res = await fetch(path, opts);
    let body = null;
    const text = await res.text();
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = { message: text }; }
    if (!res.ok) {
      const err = new Error((body && body.message) || `${res.status} ${res.statusText}`);
      err.status = res.status;
      err.body = body;
      throw err;
    }
    return body;
  }

  // The chain/category filter as query parameters, shared by every outlet query.
  function filterParams() {
    const p = new URLSearchParams();
    if ($('chain').value) p.set('chain', $('chain').value);
    if ($('category').value) p.set('category', $('category').value);
    return p;
  }

  function chainColour(id) {
    const c = state.chains.get(id);
    return c ? c.colour : '#555555';
  }

  function municipalityName(code) {
    return state.municipalities.get(code) || code;
  }

  // ---------- the map and its base ----------

  const map = L.map('map', {
    zoomSnap: 0.5,
    minZoom: 4,
    maxZoom: 17,
    preferCanvas: false,
    attributionControl: true,
  }).fitBounds([[59.7, 19.1], [70.1, 31.6]]);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('Outline: Natural Earth · Centres: NLS, Statistics Finland (CC BY 4.0)');

  map.createPane('basePane');
  map.getPane('basePane').style.zIndex = 200;
  map.createPane('heatPane');
  map.getPane('heatPane').style.zIndex = 350;
  map.createPane('labelPane');
  map.getPane('labelPane').style.zIndex = 380;
  map.getPane('labelPane').style.pointerEvents = 'none';

  async function loadBase() {
    const outline = await api('/assets/finland.geojson');
    L.geoJSON(outline, {
      pane: 'basePane',
      interactive: false,
      style: { color: '#6b8299', weight: 1, fillColor: '#f4f1ea', fillOpacity: 1 },
    }).addTo(map);
    const centres = await api('/assets/municipalities.json');
    const labels = L.layerGroup();
    for (const m of centres) {
      state.municipalities.set(m.code, m.name);
      L.tooltip({
        permanent: true, direction: 'center', className: 'muni-label', pane: 'labelPane',
        interactive: false,
      }).setLatLng([m.lat, m.lon]).setContent(esc(m.name)).addTo(labels);
    }
    const showLabels = () => {
      if (map.getZoom() >= 8) labels.addTo(map); else labels.remove();
    };
    map.on('zoomend', showLabels);
    showLabels();
  }

  // ---------- outlets ----------

  const cluster = L.markerClusterGroup({
    maxClusterRadius: 45,
    disableClusteringAtZoom: 13,
    chunkedLoading: true,
  });
  map.addLayer(cluster);
  const highlight = L.layerGroup().addTo(map);
  const routeLayer = L.layerGroup().addTo(map);

  function icon(o) {
    const c = state.chains.get(o.chain);
    const letter = c ? c.icon : '?';
    return L.divIcon({
      className: 'outlet-icon',
      html: `<span class="outlet-marker" style="background:${esc(chainColour(o.chain))}" data-id="${o.id}">${esc(letter)}</span>`,
      iconSize: [20, 20],
      iconAnchor: [10, 10],
      popupAnchor: [0, -10],
    });
  }

  async function loadChains() {
    const list = await api('/v1/chains');
    const categories = new Set();
    const sel = $('chain');
    for (const c of list.chains) {
      state.chains.set(c.id, c);
      categories.add(c.category);
      const opt = document.createElement('option');
      opt.value = c.id;
      opt.textContent = `${c.name} (${c.outlets})`;
      sel.appendChild(opt);
    }
    for (const cat of [...categories].sort()) {
      const opt = document.createElement('option');
      opt.value = cat;
      opt.textContent = cat;
      $('category').appendChild(opt);
    }
  }

  async function loadOutlets() {
    status('Loading outlets…');
    const q = filterParams();
    // The compact map view (an array per outlet, named by `fields`), about a fifth of the full
    // list; details come from `/v1/outlets/{id}` when a card opens. Rebuilt here into the shape
    // of the full list's outlets so that the rest of the page reads the same fields.
    q.set('view', 'map');
    const list = await api(`/v1/outlets?${q}`);
    const col = Object.fromEntries(list.fields.map((f, i) => [f, i]));
    list.outlets = list.outlets.map((r) => ({
      id: r[col.id], lat: r[col.lat], lon: r[col.lon], chain: r[col.chain], name: r[col.name],
      municipality: r[col.municipality], open_now: r[col.open_now],
      address: { street: r[col.street], postal_code: r[col.postal_code], city: r[col.city] },
    }));
    state.outlets = list.outlets;
    state.markers.clear();
    cluster.clearLayers();
    const markers = list.outlets.map((o) => {
      const m = L.marker([o.lat, o.lon], { icon: icon(o), title: o.name, keyboard: true, alt: o.name });
      m.outletId = o.id;
      withPopup(m, o);
      state.markers.set(o.id, m);
      return m;
    });
    cluster.addLayers(markers);
    status(`${list.count} outlets shown`);
    document.body.dataset.outlets = String(list.count);
    document.body.dataset.ready = 'true';
    if (($('chain').value || $('category').value) && markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [30, 30], maxZoom: 12 });
    }
    runSearch();
  }

  // ---------- popups ----------

  function withPopup(marker, o) {
    marker.bindPopup(() => popupShell(o), { maxWidth: 300 });
    marker.on('popupopen', (e) => fillPopup(o, e.popup));
    return marker;
  }

  function popupShell(o) {
    return `<div class="popup" data-id="${o.id}"><h3>${esc(o.name)}</h3><p>Loading…</p></div>`;
  }

  // Whether each outlet of an answer is open now: the service judges it (`open_now`, Helsinki
  // time, overnight spans) on every outlet it returns; the page does not reimplement the rules.
  function openNow(outlets) {
    const out = new Map();
    for (const o of outlets) out.set(o.id, typeof o.open_now === 'boolean' ? o.open_now : null);
    return out;
  }

  function openLabel(v) {
    if (v === true) return '<span class="open">Open now</span>';
    if (v === false) return '<span class="closed">Closed now</span>';
    return '<span class="meta">Opening state unknown</span>';
  }

  // The offers valid at the outlet now, on all three levels, as `GET /v1/outlets/{id}` lists them
  // (store, then chain, then network).
  function renderOffers(offers) {
    if (!Array.isArray(offers)) {
      return '<p class="meta">Offers: not available from the service.</p>';
    }
    if (!offers.length) return '<p class="meta offers-none">No current offers.</p>';
    const levels = { store: 'This store', chain: 'Chain', network: 'All of K-Plussa' };
    return '<p><strong>Offers</strong></p><ul class="offers" aria-label="Current offers">' + offers.map((f) => {
      const what = f.benefit === 'extra_points' ? `+${esc(f.value)} points` : `−${esc(f.value)} %`;
      const until = f.valid_to ? ` (until ${esc(f.valid_to)})` : '';
      return `<li data-offer="${esc(f.id)}" data-level="${esc(f.level)}">${esc(levels[f.level] || f.level)}: ${esc(f.title)}, ${what}${until}</li>`;
    }).join('') + '</ul>';
  }

  async function fillPopup(o, popup) {
    try {
      // One call: the detail carries `open_now` and the offers valid now.
      const d = await api(`/v1/outlets/${o.id}`);
      const open = typeof d.open_now === 'boolean' ? d.open_now : null;
      const chain = state.chains.get(d.chain);
      const hours = (d.opening_hours || '').split(/;\s*/).filter(Boolean)
        .map((h) => `<li>${esc(h)}</li>`).join('');
      popup.setContent(`<div class="popup" data-id="${d.id}">
        <h3>${esc(d.name)}</h3>
        <p><span class="swatch" style="background:${esc(chainColour(d.chain))}"></span>${esc(chain ? chain.name : d.chain)} · ${esc(d.category)}</p>
        <p>${esc(d.address.street)}, ${esc(d.address.postal_code)} ${esc(d.address.city)}<br>
          <span class="meta">${esc(municipalityName(d.municipality))}</span></p>
        <p>${openLabel(open)}</p>
        <ul class="hours" aria-label="Opening hours">${hours}</ul>
        <p>Phone: <a href="tel:${esc(d.phone.replace(/\s+/g, ''))}">${esc(d.phone)}</a></p>
        <p class="services">${d.services.length ? 'Services: ' + d.services.map((s) => esc(s.replace(/_/g, ' '))).join(', ') : ''}</p>
        ${renderOffers(d.offers)}
      </div>`);
    } catch (e) {
      popup.setContent(`<div class="popup"><h3>${esc(o.name)}</h3><p class="closed">${esc(e.message)}</p></div>`);
    }
  }

  function focusOutlet(id) {
    const m = state.markers.get(id);
    if (!m) return;
    cluster.zoomToShowLayer(m, () => m.openPopup());
  }

  // ---------- result lists ----------

  function resultItem(o, extra) {
    const li = document.createElement('li');
    li.dataset.id = o.id;
    const b = document.createElement('button');
    b.type = 'button';
    b.innerHTML = `<span class="swatch" style="background:${esc(chainColour(o.chain))}"></span>${esc(o.name)}<br><span class="meta">${extra}</span>`;
    b.addEventListener('click', () => focusOutlet(o.id));
    li.appendChild(b);
    return li;
  }

  // Highlighted outlets get their own marker above the clusters, so a clustered one shows too.
  function highlightOutlets(outlets, colour) {
    for (const o of outlets) {
      withPopup(L.marker([o.lat, o.lon], { icon: icon(o), title: o.name, alt: o.name, zIndexOffset: 1000 }), o)
        .addTo(highlight);
      L.circleMarker([o.lat, o.lon], {
        radius: 15, color: colour, weight: 3, fill: false, interactive: false, className: 'hl-ring',
      }).addTo(highlight);
    }
  }

  // ---------- search ----------

  function runSearch() {
    const q = $('search').value.trim().toLowerCase();
    const ul = $('search-results');
    ul.textContent = '';
    if (q.length < 2) return;
    const hits = state.outlets.filter((o) =>
      o.name.toLowerCase().includes(q) ||
      municipalityName(o.municipality).toLowerCase().includes(q) ||
      o.address.city.toLowerCase().includes(q));
    for (const o of hits.slice(0, 30)) {
      ul.appendChild(resultItem(o, `${esc(o.address.street)}, ${esc(o.address.city)}`));
    }
    if (!hits.length) {
      const li = document.createElement('li');
      li.className = 'meta';
      li.textContent = 'No match among the outlets shown.';
      ul.appendChild(li);
    } else if (hits.length > 30) {
      const li = document.createElement('li');
      li.className = 'meta';
      li.textContent = `…and ${hits.length - 30} more; type more to narrow.`;
      ul.appendChild(li);
    }
  }

  // ---------- nearest ----------

  async function nearest(lat, lon) {
    const p = filterParams();
    p.set('lat', lat.toFixed(6));
    p.set('lon', lon.toFixed(6));
    p.set('k', $('k').value);
    status('Finding the nearest outlets…');
    try {
      const res = await api(`/v1/outlets/nearest?${p}`);
      const open = openNow(res.outlets);
      highlight.clearLayers();
      L.circleMarker([lat, lon], { radius: 6, color: '#0d3b66', fillColor: '#0d3b66', fillOpacity: 1, interactive: false })
        .addTo(highlight);
      highlightOutlets(res.outlets, '#f4a261');
      const ol = $('nearest-list');
      ol.textContent = '';
      for (const o of res.outlets) {
        const li = resultItem(o, `${km(o.distance_m)} · ${openLabel(open.get(o.id))}`);
        li.dataset.distance = String(o.distance_m);
        ol.appendChild(li);
      }
      if (res.outlets.length) {
        const b = L.latLngBounds(res.outlets.map((o) => [o.lat, o.lon])).extend([lat, lon]);
        if (!map.getBounds().contains(b)) map.fitBounds(b, { padding: [40, 40], maxZoom: 13 });
      }
      status(`${res.count} nearest to ${lat.toFixed(4)}, ${lon.toFixed(4)}`);
    } catch (e) {
      status(`Nearest: ${e.message}`);
    }
  }

  map.on('click', (e) => {
    if (drawing.on) addDrawPoint(e.latlng);
    else if (state.whatIfPick) whatIfPick(e.latlng);
    else nearest(e.latlng.lat, e.latlng.lng);
  });
  $('centre').addEventListener('click', () => {
    const c = map.getCenter();
    nearest(c.lat, c.lng);
  });
  $('locate').addEventListener('click', () => {
    if (!navigator.geolocation) {
      status('This browser cannot tell your location.');
      return;
    }
    status('Asking for your location…');
    navigator.geolocation.getCurrentPosition(
      (pos) => nearest(pos.coords.latitude, pos.coords.longitude),
      (err) => status(`Location not available: ${err.message}`),
      { enableHighAccuracy: false, timeout: 10000 },
    );
  });

  // ---------- route ----------

  // The route's points, for drawing only (the service parses the same file for the query).
  function routeLine(text) {
    const t = text.trimStart();
    if (t.startsWith('{')) {
      const g = JSON.parse(t);
      const lines = [];
      const walk = (x) => {
        if (!x) return;
        if (x.type === 'FeatureCollection') x.features.forEach(walk);
        else if (x.type === 'Feature') walk(x.geometry);
        else if (x.type === 'LineString') lines.push(x.coordinates.map(([lo, la]) => [la, lo]));
        else if (x.type === 'MultiLineString') x.coordinates.forEach((c) => lines.push(c.map(([lo, la]) => [la, lo])));
      };
      walk(g);
      return lines;
    }
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const pts = (sel) => [...doc.getElementsByTagName(sel)].map((p) => [
      parseFloat(p.getAttribute('lat')), parseFloat(p.getAttribute('lon'))]);
    const trk = pts('trkpt');
    return [trk.length ? trk : pts('rtept')];
  }

  async function alongRouteFile() {
    const f = $('gpx').files[0];
    if (!f) {
      status('Choose a GPX or GeoJSON file first.');
      $('gpx').focus();
      return;
    }
    await alongRoute(await f.text());
  }

  async function alongRoute(text) {
    const corridorKm = parseFloat($('corridor').value);
    if (!(corridorKm > 0)) {
      status('The corridor must be a positive number of kilometres.');
      $('corridor').focus();
      return;
    }
    const p = filterParams();
    p.set('corridor_m', String(Math.round(corridorKm * 1000)));
    const type = text.trimStart().startsWith('{') ? 'application/geo+json' : 'application/gpx+xml';
    status('Finding outlets along the route…');
    try {
      const res = await api(`/v1/outlets/along-route?${p}`, { method: 'POST', headers: { 'Content-Type': type }, body: text });
      routeLayer.clearLayers();
      highlight.clearLayers();
      let bounds = null;
      try {
        for (const line of routeLine(text)) {
          const pl = L.polyline(line, { color: '#0d3b66', weight: 4, opacity: 0.8, interactive: false }).addTo(routeLayer);
          bounds = bounds ? bounds.extend(pl.getBounds()) : pl.getBounds();
        }
      } catch (_) { /* drawing is a nicety; the list below is the answer */ }
      highlightOutlets(res.outlets, '#2a9d8f');
      const ol = $('route-list');
      ol.textContent = '';
      for (const o of res.outlets) {
        ol.appendChild(resultItem(o, `km ${o.along_km.toFixed(1)} · ${km(o.distance_m)} off the route`));
      }
      state.lastRoute = res.outlets.map((o) => o.id);
      updateExportLink();
      $('export-row').hidden = res.outlets.length === 0;
      if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30] });
      status(`${res.count} outlets along the route`);
    } catch (e) {
      status(`Route: ${e.message}`);
    }
  }

  // The navigator-file download for the outlets along the last route, in route order:
  // GET /v1/exports/{format}?ids=1,2,3. OV2, Garmin CSV and KML come with their icons in a zip.
  const ZIPPED = new Set(['ov2', 'garmin-csv', 'kml']);
  function updateExportLink() {
    const fmt = $('export-format').value;
    const a = $('export-link');
    a.href = `/v1/exports/${encodeURIComponent(fmt)}?ids=${state.lastRoute.join(',')}`;
    a.setAttribute('download', `route-outlets.${ZIPPED.has(fmt) ? 'zip' : fmt}`);
  }

  $('route-go').addEventListener('click', alongRouteFile);

  // Drawing a route: while on, map clicks add points instead of asking for the nearest outlets.
  const drawing = { on: false, points: [], line: null };
  function setDrawing(on) {
    drawing.on = on;
    $('draw').setAttribute('aria-pressed', String(on));
    $('draw').textContent = on ? 'Cancel drawing' : 'Draw a route';
    $('draw-hint').hidden = !on;
    $('draw-done').disabled = !on || drawing.points.length < 2;
    // Markers let clicks through while drawing, so every click adds a point.
    map.getContainer().classList.toggle('drawing', on);
  }
  $('draw').addEventListener('click', () => {
    drawing.points = [];
    if (drawing.line) drawing.line.remove();
    drawing.line = null;
    setDrawing(!drawing.on);
  });
  $('draw-done').addEventListener('click', async () => {
    const coords = drawing.points.map(([lat, lon]) => [Number(lon.toFixed(6)), Number(lat.toFixed(6))]);
    if (drawing.line) drawing.line.remove();
    drawing.line = null;
    setDrawing(false);
    await alongRoute(JSON.stringify({ type: 'LineString', coordinates: coords }));
  });
  function addDrawPoint(ll) {
    drawing.points.push([ll.lat, ll.lng]);
    if (!drawing.line) {
      drawing.line = L.polyline([], { color: '#0d3b66', weight: 3, dashArray: '6 6', interactive: false }).addTo(map);
    }
    drawing.line.setLatLngs(drawing.points);
    $('draw-done').disabled = drawing.points.length < 2;
  }
  $('export-format').addEventListener('change', updateExportLink);

  // ---------- planner ----------
  //
  // Planning routes, all with `Authorization: Bearer <planner key>`:
  //   GET /v1/planning/density?bbox=minlon,minlat,maxlon,maxlat
  //       -> GeoJSON FeatureCollection of 1 km cells (Polygons, WGS84), properties
  //          { households: number | "<10", cardholders: number | "<10" }
  //   GET /v1/planning/coverage?distance_m=…&chain=…&category=…
  //       -> { total: { label, households, bands: [{ within_m, households, share_households }] }, by_chain, … }
  //   GET /v1/planning/catchments?format=geojson  -> areas, properties { outlet, name, chain, households, median_m }
  //   GET /v1/planning/gaps?distance_m=…&format=geojson -> areas, properties { rank, households, centre, nearest_outlet_name }
  //   POST /v1/planning/whatif?distance_m=… { open: [{ lat, lon, chain }], close: [ids] }
  //       -> { before: row, after: row, changes: [{ name, status, households_before, households_after }] }
  // Every household figure is a number of at least 10 or the string "<10".
  // 401/403 mean the key is not a planner key; 404 that the server has no planning routes.

  const heat = L.geoJSON(null, {
    pane: 'heatPane',
    style: (f) => heatStyle(f.properties.households),
    onEachFeature: (f, layer) => layer.bindTooltip(`Households: ${esc(householdsText(f.properties.households))}`),
  });
  const rings = L.layerGroup();
  const HEAT_STEPS = [10, 50, 200, 1000, 3000];
  const HEAT_COLOURS = ['#fee8c8', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'];

  // Figures below the privacy floor are never shown as numbers, whatever the service sends.
  function householdsText(h) {
    if (typeof h !== 'number') return String(h);
    return h < 10 ? '<10' : String(h);
  }

  function heatStyle(h) {
    let colour = '#d9d9d9'; // below the floor: a neutral grey, no number
    if (typeof h === 'number' && h >= 10) {
      colour = HEAT_COLOURS[0];
      for (let i = 0; i < HEAT_STEPS.length; i++) if (h >= HEAT_STEPS[i]) colour = HEAT_COLOURS[i];
    }
    return { stroke: false, fillColor: colour, fillOpacity: 0.7, className: 'heat-cell' };
  }

  function heatLegend() {
    const parts = ['<span><i style="background:#d9d9d9"></i>&lt;10</span>'];
    HEAT_STEPS.forEach((s, i) => {
      const next = HEAT_STEPS[i + 1];
      parts.push(`<span><i style="background:${HEAT_COLOURS[i]}"></i>${s}${next ? '–' + (next - 1) : '+'}</span>`);
    });
    $('heat-legend').innerHTML = 'Households per km²: ' + parts.join('');
  }

  function plannerHeaders() {
    return { Authorization: `Bearer ${state.plannerKey}` };
  }

  function bboxParam() {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(',');
  }

  async function loadHeat() {
    if (!state.plannerKey || !$('heat').checked) {
      heat.clearLayers();
      heat.remove();
      return;
    }
    const res = await api(`/v1/planning/density?bbox=${bboxParam()}`, { headers: plannerHeaders() });
    heat.clearLayers();
    heat.addData(res);
    heat.addTo(map);
    document.body.dataset.heatCells = String(res.features ? res.features.length : 0);
  }

  function plannerOff(msg) {
    state.plannerKey = null;
    heat.clearLayers();
    heat.remove();
    rings.clearLayers();
    rings.remove();
    clearCatchments();
    clearGaps();
    whatIfLayer.clearLayers();
    whatIfLayer.remove();
    $('planner').hidden = true;
    $('planner').disabled = true;
    $('planner-msg').textContent = msg;
    delete document.body.dataset.heatCells;
  }

  $('planner-key-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = $('planner-key').value.trim();
    if (!key) {
      plannerOff('Enter a planner key to see the planning layers.');
      return;
    }
    state.plannerKey = key;
    $('planner-msg').textContent = 'Checking the key…';
    try {
      await loadHeat();
      $('planner').hidden = false;
      $('planner').disabled = false;
      heatLegend();
      fillWhatIfChains();
      $('planner-msg').textContent = 'Planner view on.';
    } catch (err) {
      if (err.status === 401 || err.status === 403) plannerOff('That key is not a planner key.');
      else if (err.status === 404) plannerOff('This server has no planning routes yet.');
      else plannerOff(`Planning: ${err.message}`);
    }
  });

  $('heat').addEventListener('change', () => loadHeat().catch((e) => status(`Density: ${e.message}`)));
  map.on('moveend', () => {
    if (state.plannerKey && $('heat').checked) loadHeat().catch((e) => status(`Density: ${e.message}`));
  });

  // Coverage rings: a circle of the chosen radius round every outlet shown.
  $('ring-km').addEventListener('change', () => {
    rings.clearLayers();
    const r = parseFloat($('ring-km').value);
    if (!(r > 0) || !state.plannerKey) {
      rings.remove();
      return;
    }
    const renderer = L.canvas({ padding: 0.2 });
    for (const o of state.outlets) {
      L.circle([o.lat, o.lon], {
        radius: r * 1000, renderer, color: chainColour(o.chain), weight: 1, fillOpacity: 0.08, interactive: false,
      }).addTo(rings);
    }
    rings.addTo(map);
  });

  // A share (0–1) or the suppressed "<10", as text.
  function shareText(v) {
    return typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : String(v);
  }

  // The ring distance in metres, or `fallback` when no ring is set.
  function ringMetres(fallback) {
    const r = parseFloat($('ring-km').value);
    return r > 0 ? Math.round(r * 1000) : fallback;
  }

  function bandsTable(row, highlightM) {
    const rows = (row.bands || []).map((b) => {
      const mark = b.within_m === highlightM ? ' class="hl"' : '';
      return `<tr${mark}><td>${esc(km(b.within_m))}</td><td>${esc(householdsText(b.households))}</td><td>${esc(shareText(b.share_households))}</td></tr>`;
    }).join('');
    return `<table><caption>${esc(row.label || '')}: ${esc(householdsText(row.households))} households</caption>`
      + `<thead><tr><th scope="col">Within</th><th scope="col">Households</th><th scope="col">Share</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  $('coverage-go').addEventListener('click', async () => {
    const out = $('coverage-out');
    const p = filterParams();
    const d = ringMetres(null);
    if (d) p.set('distance_m', String(d));
    out.textContent = 'Computing…';
    try {
      const rep = await api(`/v1/planning/coverage?${p}`, { headers: plannerHeaders() });
      out.innerHTML = bandsTable(rep.total, d);
      document.body.dataset.coverage = 'done';
    } catch (e) {
      out.textContent = `Coverage: ${e.message}`;
    }
  });

  // ----- catchments: every cell to its nearest outlet, drawn as areas -----

  const CATCHMENT_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#1f78b4'];
  const catchmentLayer = L.geoJSON(null, {
    pane: 'heatPane',
    style: (f) => ({
      stroke: false, fillOpacity: 0.5,
      fillColor: CATCHMENT_COLOURS[f.properties.outlet % CATCHMENT_COLOURS.length], className: 'catchment-area',
    }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      `${esc(f.properties.name)}: ${esc(householdsText(f.properties.households))} households, `
      + `median ${typeof f.properties.median_m === 'number' ? esc(km(f.properties.median_m)) : esc(f.properties.median_m)}`),
  });

  function clearCatchments() {
    catchmentLayer.clearLayers();
    catchmentLayer.remove();
    $('catchments-out').textContent = '';
    delete document.body.dataset.catchments;
  }

  $('catchments-go').addEventListener('click', async () => {
    const out = $('catchments-out');
    const p = filterParams();
    p.set('format', 'geojson');
    out.textContent = 'Computing…';
    try {
      const fc = await api(`/v1/planning/catchments?${p}`, { headers: plannerHeaders() });
      catchmentLayer.clearLayers();
      catchmentLayer.addData(fc);
      catchmentLayer.addTo(map);
      const top = fc.features.slice().sort((a, b) => (Number(b.properties.households) || 0) - (Number(a.properties.households) || 0)).slice(0, 5);
      out.innerHTML = `<p>${fc.features.length} catchments. Largest:</p><ol>${top.map((f) =>
        `<li>${esc(f.properties.name)}: ${esc(householdsText(f.properties.households))}</li>`).join('')}</ol>`;
      document.body.dataset.catchments = String(fc.features.length);
    } catch (e) {
      out.textContent = `Catchments: ${e.message}`;
    }
  });
  $('catchments-clear').addEventListener('click', clearCatchments);

  // ----- gaps: areas farther than D from every outlet -----

  const gapLayer = L.geoJSON(null, {
    pane: 'heatPane',
    style: () => ({ color: '#b42318', weight: 1, fillColor: '#b42318', fillOpacity: 0.45, className: 'gap-area' }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      `Gap ${esc(f.properties.rank)}: ${esc(householdsText(f.properties.households))} households; nearest ${esc(f.properties.nearest_outlet_name)}`),
  });

  function clearGaps() {
    gapLayer.clearLayers();
    gapLayer.remove();
    $('gaps-out').textContent = '';
    delete document.body.dataset.gaps;
  }

  $('gaps-go').addEventListener('click', async () => {
    const out = $('gaps-out');
    const d = parseFloat($('gap-km').value);
    if (!(d > 0)) {
      out.textContent = 'Give a distance above 0 km.';
      return;
    }
    const p = filterParams();
    p.set('distance_m', String(Math.round(d * 1000)));
    p.set('format', 'geojson');
    out.textContent = 'Computing…';
    try {
      const fc = await api(`/v1/planning/gaps?${p}`, { headers: plannerHeaders() });
      gapLayer.clearLayers();
      gapLayer.addData(fc);
      gapLayer.addTo(map);
      const items = fc.features.slice(0, 10).map((f) => {
        const c = f.properties.centre;
        return `<li><button type="button" data-lat="${c.lat}" data-lon="${c.lon}">Gap ${esc(f.properties.rank)}: `
          + `${esc(householdsText(f.properties.households))} households</button></li>`;
      }).join('');
      out.innerHTML = `<p>${fc.features.length} gap areas farther than ${esc(d)} km.</p><ol class="results">${items}</ol>`;
      out.querySelectorAll('button[data-lat]').forEach((b) => b.addEventListener('click', () =>
        map.setView([Number(b.dataset.lat), Number(b.dataset.lon)], Math.max(map.getZoom(), 10))));
      document.body.dataset.gaps = String(fc.features.length);
    } catch (e) {
      out.textContent = `Gaps: ${e.message}`;
    }
  });
  $('gaps-clear').addEventListener('click', clearGaps);

  // ----- what-if: open outlets on the map, close existing ones, see coverage change -----

  const whatIf = { open: [], close: new Set() };
  const whatIfLayer = L.layerGroup();

  function whatIfIds() {
    const ids = new Set(whatIf.close);
    for (const t of $('whatif-close-ids').value.split(/[\s,]+/)) {
      if (/^\d+$/.test(t)) ids.add(Number(t));
    }
    return [...ids];
  }

  function drawWhatIf() {
    whatIfLayer.clearLayers();
    const items = [];
    whatIf.open.forEach((o, i) => {
      L.circleMarker([o.lat, o.lon], {
        radius: 9, color: '#111', weight: 2, fillColor: chainColour(o.chain), fillOpacity: 0.9, className: 'whatif-open',
      }).bindTooltip(`New ${o.chain} #${i + 1}`).addTo(whatIfLayer);
      items.push(`<li>Open ${esc(o.chain)} at ${o.lat.toFixed(4)}, ${o.lon.toFixed(4)}</li>`);
    });
    for (const id of whatIf.close) {
      const o = state.outlets.find((x) => x.id === id);
      if (o) {
        L.circleMarker([o.lat, o.lon], {
          radius: 11, color: '#b42318', weight: 3, fill: false, dashArray: '3 3', className: 'whatif-close',
        }).bindTooltip(`Close ${o.name}`).addTo(whatIfLayer);
      }
      items.push(`<li>Close ${esc(o ? o.name : '')} (id ${esc(id)})</li>`);
    }
    whatIfLayer.addTo(map);
    $('whatif-list').innerHTML = items.join('');
  }

  function setWhatIfPick(mode) {
    state.whatIfPick = state.whatIfPick === mode ? null : mode;
    $('whatif-open').setAttribute('aria-pressed', String(state.whatIfPick === 'open'));
    $('whatif-close').setAttribute('aria-pressed', String(state.whatIfPick === 'close'));
    const hint = $('whatif-hint');
    hint.hidden = !state.whatIfPick;
    hint.textContent = state.whatIfPick === 'open'
      ? 'Click the map where the new outlet should be.'
      : 'Click the map next to the outlet to close.';
    map.getContainer().classList.toggle('picking', Boolean(state.whatIfPick));
  }

  function whatIfOpenAt(lat, lon) {
    const chain = $('whatif-chain').value;
    if (!chain) return;
    whatIf.open.push({ lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)), chain });
    drawWhatIf();
  }

  // Called by the map's click handler while a what-if pick is on.
  function whatIfPick(ll) {
    if (state.whatIfPick === 'open') {
      whatIfOpenAt(ll.lat, ll.lng);
    } else if (state.whatIfPick === 'close') {
      let best = null;
      let bestD = Infinity;
      for (const o of state.outlets) {
        const d = map.distance(ll, [o.lat, o.lon]);
        if (d < bestD) { best = o; bestD = d; }
      }
      if (best) whatIf.close.add(best.id);
      drawWhatIf();
    }
    setWhatIfPick(null);
  }

  function fillWhatIfChains() {
    const sel = $('whatif-chain');
    if (sel.options.length) return;
    for (const c of state.chains.values()) {
      const opt = document.createElement('option');
      opt.value = c.id;
      opt.textContent = c.name;
      sel.appendChild(opt);
    }
    if ($('chain').value) sel.value = $('chain').value;
  }

  $('whatif-open').addEventListener('click', () => setWhatIfPick('open'));
  $('whatif-close').addEventListener('click', () => setWhatIfPick('close'));
  $('whatif-open-centre').addEventListener('click', () => {
    const c = map.getCenter();
    whatIfOpenAt(c.lat, c.lng);
  });
  $('whatif-reset').addEventListener('click', () => {
    whatIf.open = [];
    whatIf.close.clear();
    $('whatif-close-ids').value = '';
    $('whatif-out').textContent = '';
    if (state.whatIfPick) setWhatIfPick(state.whatIfPick);
    drawWhatIf();
    delete document.body.dataset.whatif;
  });

  $('whatif-go').addEventListener('click', async () => {
    const out = $('whatif-out');
    const close = whatIfIds();
    if (!whatIf.open.length && !close.length) {
      out.textContent = 'Drop a new outlet or pick one to close first.';
      return;
    }
    const p = filterParams();
    const d = ringMetres(5000);
    p.set('distance_m', String(d));
    out.textContent = 'Computing…';
    try {
      const rep = await api(`/v1/planning/whatif?${p}`, {
        method: 'POST',
        headers: { ...plannerHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ open: whatIf.open, close }),
      });
      const band = (row) => (row.bands || []).find((b) => b.within_m === d) || {};
      const b0 = band(rep.before);
      const b1 = band(rep.after);
      const changes = rep.changes.slice(0, 8).map((c) =>
        `<tr><td>${esc(c.name)}</td><td>${esc(c.status)}</td><td>${esc(householdsText(c.households_before))}</td><td>${esc(householdsText(c.households_after))}</td></tr>`).join('');
      out.innerHTML = `<p id="whatif-summary">Within ${esc(km(d))}: ${esc(householdsText(b0.households))} → `
        + `${esc(householdsText(b1.households))} households (${esc(shareText(b0.share_households))} → ${esc(shareText(b1.share_households))}).</p>`
        + `<table><thead><tr><th scope="col">Outlet</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>${changes}</tbody></table>`;
      document.body.dataset.whatif = 'done';
    } catch (e) {
      out.textContent = `What-if: ${e.message}`;
    }
  });

  // ---------- filters, search, layout ----------

  $('chain').addEventListener('change', () => loadOutlets().catch((e) => status(e.message)));
  $('category').addEventListener('change', () => loadOutlets().catch((e) => status(e.message)));
  $('search').addEventListener('input', runSearch);
  $('panel-toggle').addEventListener('click', () => {
    const collapsed = $('panel').classList.toggle('collapsed');
    $('panel-toggle').setAttribute('aria-expanded', String(!collapsed));
    setTimeout(() => map.invalidateSize(), 0);
  });

  // For the browser tests and for curious people: read-only views of what the map shows.
  window.storenet = {
    map,
    shownOutletIds: () => cluster.getLayers().map((m) => m.outletId),
  };

  (async () => {
    try {
      await Promise.all([loadBase(), loadChains()]);
      await loadOutlets();
    } catch (e) {
      status(`Could not load the map: ${e.message}`);
    }
  })();
})();
