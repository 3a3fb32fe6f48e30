// storenet web map. Plain JavaScript, no build step: Leaflet and leaflet.markercluster are
// loaded from /assets/vendor, then i18n.js (languages and Intl formats), search.js (search as you
// type) and card.js (the store card) before this file. Every answer comes from the /v1 API; the
// page only draws it (open-now, nearest, along-route and planning figures are computed by the
// service).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const I = window.StorenetI18n;
  const t = I.t;
  const Card = window.StorenetCard;
  const Search = window.StorenetSearch;

  const state = {
    chains: new Map(), // id -> chain from /v1/chains
    municipalities: new Map(), // code -> name
    outlets: [], // the outlets the current chain/category/open-now filter shows
    index: new Map(), // outlet id -> its search words
    markers: new Map(), // outlet id -> Leaflet marker
    plannerKey: null,
    lastRoute: [], // ids along the last route, in route order
    lastNearest: null, // { lat, lon, outlets } of the last nearest answer
    cardId: null, // the outlet whose card is open
    cardOpener: null, // the element focus returns to when the card closes
  };

  // ---------- small helpers ----------

  const esc = Card.esc;
  const km = (m) => I.distance(m);
  const coord = (x) => I.num(x, { minimumFractionDigits: 4, maximumFractionDigits: 4 });

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

  function chosenChains() {
    return [...document.querySelectorAll('#chain-list input:checked')].map((c) => c.value);
  }

  // The chain/category/open-now filter as query parameters, shared by every outlet query.
  function filterParams() {
    const p = new URLSearchParams();
    const chains = chosenChains();
    if (chains.length) p.set('chain', chains.join(','));
    if ($('category').value) p.set('category', $('category').value);
    if ($('open-now').checked) p.set('open_at', new Date().toISOString());
    return p;
  }

  function chainColour(id) {
    const c = state.chains.get(id);
    return c ? c.colour : '#555555';
  }

  function chainName(id) {
    const c = state.chains.get(id);
    return c ? c.name : id;
  }

  function municipalityName(code) {
    return state.municipalities.get(code) || code;
  }

  // WCAG relative luminance of `#rrggbb`.
  function luminance(hex) {
    const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }

  // The letter colour on a chain's disc: white or near-black, whichever contrasts more (one of
  // them always reaches 4.5:1).
  function letterColour(bg) {
    if (!/^#[0-9a-f]{6}$/i.test(bg)) return '#ffffff';
    const l = luminance(bg);
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / (luminance('#111111') + 0.05)) ? '#ffffff' : '#111111';
  }

  // ---------- the map and its base ----------

  const map = L.map('map', {
    zoomSnap: 0.5,
    minZoom: 4,
    maxZoom: 17,
    preferCanvas: false,
    attributionControl: true,
  }).fitBounds([[59.7, 19.1], [70.1, 31.6]]);
  // Zoom buttons on the right, clear of the store card on the left.
  map.zoomControl.setPosition('topright');
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('Natural Earth · NLS, Statistics Finland (CC BY 4.0)');

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

  // Clusters, like markers, stay out of the Tab order: the lists reach every outlet.
  L.MarkerCluster.mergeOptions({ keyboard: false });
  const cluster = L.markerClusterGroup({
    maxClusterRadius: 45,
    disableClusteringAtZoom: 13,
    chunkedLoading: true,
    // Until every chunk is in, zoomToShowLayer may meet a half-built cluster tree.
    chunkProgress: (done, total) => { if (done >= total) state.clustered = true; },
  });
  map.addLayer(cluster);
  const highlight = L.layerGroup().addTo(map);
  const routeLayer = L.layerGroup().addTo(map);

  function icon(o) {
    const c = state.chains.get(o.chain);
    const letter = c ? c.icon : '?';
    const bg = chainColour(o.chain);
    return L.divIcon({
      className: 'outlet-icon',
      html: `<span class="outlet-marker" style="background:${esc(bg)};color:${letterColour(bg)}" data-id="${esc(o.id)}">${esc(letter)}</span>`,
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
  }

  // Markers are not in the Tab order (hundreds of stops); the lists reach every outlet.
  function outletMarker(o, extra) {
    const m = L.marker([o.lat, o.lon], { icon: icon(o), title: o.name, keyboard: false, alt: o.name, ...extra });
    m.outletId = o.id;
    m.on('click', () => openCard(o.id, null));
    return m;
  }

  async function loadChains() {
    const list = await api('/v1/chains');
    const categories = new Set();
    const box = $('chain-list');
    for (const c of list.chains) {
      state.chains.set(c.id, c);
      categories.add(c.category);
      const label = document.createElement('label');
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.value = c.id;
      cb.name = 'chain';
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = c.colour;
      const name = document.createElement('span');
      name.className = 'chain-name';
      name.dataset.outlets = String(c.outlets);
      name.textContent = c.name;
      label.append(cb, sw, name);
      box.appendChild(label);
    }
    for (const cat of [...categories].sort()) {
      const opt = document.createElement('option');
      opt.value = cat;
      opt.dataset.i18n = `cat_${cat}`;
      $('category').appendChild(opt);
    }
  }

  // Loads the markers for the current filter. The view stays where the user put it.
  async function loadOutlets() {
    status(t('loading_outlets'));
    const q = filterParams();
    const seq = (state.loadSeq = (state.loadSeq || 0) + 1);
    // The compact map view (an array per outlet, named by `fields`), about a fifth of the full
    // list; details come from `/v1/outlets/{id}` when a card opens. Rebuilt here into the shape
    // of the full list's outlets so that the rest of the page reads the same fields.
    q.set('view', 'map');
    const list = await api(`/v1/outlets?${q}`);
    if (seq !== state.loadSeq) return; // a later filter change is loading its own list
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
      const m = outletMarker(o);
      state.markers.set(o.id, m);
      return m;
    });
    state.clustered = markers.length === 0;
    cluster.addLayers(markers);
    indexOutlets();
    state.shownCount = list.count;
    showCount();
    document.body.dataset.outlets = String(list.count);
    document.body.dataset.ready = 'true';
    runSearch(false);
  }

  function showCount() {
    if (typeof state.shownCount === 'number') status(t('outlets_shown', { n: state.shownCount }));
  }

  // ---------- the store card ----------

  function cardContext() {
    return { chainName, colour: chainColour, municipality: municipalityName };
  }

  async function openCard(id, opener) {
    state.cardId = id;
    state.cardOpener = opener || document.activeElement;
    const card = $('card');
    card.hidden = false;
    $('card-body').innerHTML = `<p class="meta">${esc(t('loading'))}</p>`;
    if (location.hash !== `#outlet=${id}`) history.replaceState(null, '', `#outlet=${id}`);
    // While the cluster is still taking markers in chunks, the map goes to the outlet by its
    // coordinates below instead.
    const found = state.markers.get(id);
    const m = found && found.__parent && state.clustered ? found : null;
    if (m) {
      cluster.zoomToShowLayer(m, () => {
        markCurrent(id);
        keepVisible(m.getLatLng());
      });
    }
    try {
      // One call: the detail carries open-now, the week's hours and the offers valid now.
      const d = await api(`/v1/outlets/${id}`);
      if (state.cardId !== id) return;
      state.cardDetail = d;
      $('card-body').innerHTML = Card.render(d, cardContext());
      if (!m) map.setView([d.lat, d.lon], Math.max(map.getZoom(), 13), { animate: false });
      keepVisible(L.latLng(d.lat, d.lon));
      document.body.dataset.card = String(id);
    } catch (e) {
      if (state.cardId !== id) return;
      $('card-body').innerHTML = `<h2 id="card-title">${esc(t('store'))}</h2><p class="closed">${esc(e.message)}</p>`;
    }
    $('card-close').focus();
  }

  // Pans the map so that `ll` is in the part the card does not cover (the bottom sheet on a
  // phone, the card's column on a desktop).
  function keepVisible(ll) {
    const card = $('card');
    if (card.hidden) return;
    const size = map.getSize();
    const mapBox = map.getContainer().getBoundingClientRect();
    const cardBox = card.getBoundingClientRect();
    const sheet = getComputedStyle(card).position === 'fixed';
    const free = sheet
      ? { x0: 0, x1: size.x, y0: 0, y1: Math.max(60, cardBox.top - mapBox.top) }
      : { x0: Math.min(size.x - 60, cardBox.right - mapBox.left), x1: size.x, y0: 0, y1: size.y };
    const p = map.latLngToContainerPoint(ll);
    const margin = 40;
    if (p.x >= free.x0 + margin && p.x <= free.x1 - margin && p.y >= free.y0 + margin && p.y <= free.y1 - margin) return;
    map.panBy([p.x - (free.x0 + free.x1) / 2, p.y - (free.y0 + free.y1) / 2], { animate: false });
  }

  function closeCard() {
    if ($('card').hidden) return;
    $('card').hidden = true;
    state.cardId = null;
    state.cardDetail = null;
    delete document.body.dataset.card;
    markCurrent(null);
    if (location.hash.startsWith('#outlet=')) history.replaceState(null, '', location.pathname + location.search);
    const back = state.cardOpener;
    state.cardOpener = null;
    if (back && document.contains(back)) back.focus();
  }

  function markCurrent(id) {
    document.querySelectorAll('.outlet-marker.current').forEach((e) => e.classList.remove('current'));
    if (id !== null) document.querySelectorAll(`.outlet-marker[data-id="${id}"]`).forEach((e) => e.classList.add('current'));
  }

  function openFromHash() {
    const m = /^#outlet=(\d+)$/.exec(location.hash);
    if (m) openCard(Number(m[1]), null);
  }

  // Markers are drawn anew as the map moves; the open card's marker keeps its ring.
  map.on('moveend', () => setTimeout(() => { if (state.cardId !== null) markCurrent(state.cardId); }, 0));
  $('card-close').addEventListener('click', closeCard);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('card').hidden) {
      e.preventDefault();
      closeCard();
    }
  });
  window.addEventListener('hashchange', openFromHash);

  // ---------- result lists ----------

  function resultItem(o, extraHtml) {
    const li = document.createElement('li');
    li.dataset.id = o.id;
    const b = document.createElement('button');
    b.type = 'button';
    b.innerHTML = `<span class="swatch" style="background:${esc(chainColour(o.chain))}"></span>${esc(o.name)}<br><span class="meta">${extraHtml}</span>`;
    b.addEventListener('click', () => openCard(o.id, b));
    li.appendChild(b);
    return li;
  }

  // Arrow keys move through a result list; from the search field, Down enters its list.
  function listKeys(list) {
    list.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
      const buttons = [...list.querySelectorAll('li > button')];
      const i = buttons.indexOf(document.activeElement);
      if (i < 0 || !buttons.length) return;
      e.preventDefault();
      let j = i;
      if (e.key === 'ArrowDown') j = Math.min(buttons.length - 1, i + 1);
      else if (e.key === 'ArrowUp') j = i - 1;
      else if (e.key === 'Home') j = 0;
      else j = buttons.length - 1;
      if (j >= 0) buttons[j].focus();
      else if (list.id === 'search-results') $('search').focus();
      else buttons[0].focus();
    });
  }
  document.querySelectorAll('.results').forEach(listKeys);
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      const first = document.querySelector('#search-results li > button');
      if (first) { e.preventDefault(); first.focus(); }
    }
  });

  function openLabel(v) {
    if (v === true) return `<span class="open">${esc(t('open_now'))}</span>`;
    if (v === false) return `<span class="closed">${esc(t('closed_now'))}</span>`;
    return `<span class="meta">${esc(t('open_unknown'))}</span>`;
  }

  // Highlighted outlets get their own marker above the clusters, so a clustered one shows too.
  function highlightOutlets(outlets, colour) {
    for (const o of outlets) {
      outletMarker(o, { zIndexOffset: 1000 }).addTo(highlight);
      L.circleMarker([o.lat, o.lon], {
        radius: 17, color: colour, weight: 3, fill: false, interactive: false, className: 'hl-ring',
      }).addTo(highlight);
    }
  }

  // ---------- search ----------

  function indexOutlets() {
    state.index.clear();
    for (const o of state.outlets) {
      state.index.set(o.id, Search.words([
        o.name, chainName(o.chain), municipalityName(o.municipality),
        o.address.postal_code, o.address.street, o.address.city,
      ].join(' ')));
    }
  }

  const SEARCH_SHOWN = 30;
  // Lists the matches, best first; `move` fits the map to them (typing, not a filter change).
  function runSearch(move) {
    const q = $('search').value.trim();
    const ul = $('search-results');
    ul.textContent = '';
    if (q.length < 2) return;
    const cost = Search.matcher(q);
    const hits = [];
    for (const o of state.outlets) {
      const c = cost(state.index.get(o.id) || []);
      if (c !== Infinity) hits.push({ o, c });
    }
    hits.sort((a, b) => a.c - b.c || a.o.name.localeCompare(b.o.name, I.locale));
    for (const { o } of hits.slice(0, SEARCH_SHOWN)) {
      ul.appendChild(resultItem(o, `${esc(o.address.street)}, ${esc(o.address.postal_code)} ${esc(o.address.city)}`));
    }
    const li = document.createElement('li');
    li.className = 'meta';
    if (!hits.length) li.textContent = t('search_none');
    else li.textContent = t('search_count', { n: hits.length, shown: Math.min(hits.length, SEARCH_SHOWN) });
    ul.appendChild(li);
    document.body.dataset.searchHits = String(hits.length);
    if (move && hits.length) {
      const best = hits.filter((h) => h.c === hits[0].c).slice(0, 200);
      const b = L.latLngBounds(best.map((h) => [h.o.lat, h.o.lon]));
      map.fitBounds(b, { padding: [40, 40], maxZoom: 13 });
    }
  }

  let searchTimer = null;
  $('search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(true), 200);
  });

  // ---------- nearest ----------

  function showNearest() {
    const last = state.lastNearest;
    const ol = $('nearest-list');
    ol.textContent = '';
    if (!last) return;
    let outlets = last.outlets.slice();
    if ($('sort').value === 'open') {
      // Open ones first, each group still nearest first (the service's order).
      outlets = [...outlets.filter((o) => o.open_now === true), ...outlets.filter((o) => o.open_now !== true)];
    }
    for (const o of outlets) {
      const li = resultItem(o, `${esc(km(o.distance_m))} · ${openLabel(typeof o.open_now === 'boolean' ? o.open_now : null)}`);
      li.dataset.distance = String(o.distance_m);
      ol.appendChild(li);
    }
  }

  async function nearest(lat, lon, how) {
    const p = filterParams();
    p.set('lat', lat.toFixed(6));
    p.set('lon', lon.toFixed(6));
    p.set('k', $('k').value);
    status(t('finding_nearest'));
    try {
      const res = await api(`/v1/outlets/nearest?${p}`);
      highlight.clearLayers();
      L.circleMarker([lat, lon], { radius: 7, color: '#ffffff', weight: 2, fillColor: '#0b57d0', fillOpacity: 1, interactive: false, className: 'me' })
        .addTo(highlight);
      highlightOutlets(res.outlets, '#0b57d0');
      state.lastNearest = { lat, lon, how, count: res.count, outlets: res.outlets };
      showNearest();
      // The answer to a tap on a button is shown next to it (on a phone the panel scrolls).
      if (how !== 'point' || document.activeElement === $('centre')) $('nearest-list').scrollIntoView({ block: 'nearest' });
      if (res.outlets.length) {
        const b = L.latLngBounds(res.outlets.map((o) => [o.lat, o.lon])).extend([lat, lon]);
        if (!map.getBounds().contains(b) || how === 'me') map.fitBounds(b, { padding: [40, 40], maxZoom: 14 });
      }
      nearestStatus();
    } catch (e) {
      status(t('error_nearest', { message: e.message }));
    }
  }

  function nearestStatus() {
    const last = state.lastNearest;
    if (!last) return;
    if (last.how === 'me') status(t('nearest_to_you', { n: last.count }));
    else status(t('nearest_to_point', { n: last.count, lat: coord(last.lat), lon: coord(last.lon) }));
  }

  map.on('click', (e) => {
    if (drawing.on) addDrawPoint(e.latlng);
    else if (state.whatIfPick) whatIfPick(e.latlng);
    else nearest(e.latlng.lat, e.latlng.lng, 'point');
  });
  $('centre').addEventListener('click', () => {
    const c = map.getCenter();
    nearest(c.lat, c.lng, 'point');
  });
  $('sort').addEventListener('change', showNearest);

  // The reason a location was not given, in plain words next to the button.
  function locateMessage(key) {
    state.locateKey = key;
    $('locate-msg').textContent = key ? t(key) : '';
    $('locate-msg').classList.toggle('warn', Boolean(key) && key !== 'locating');
  }

  $('locate').addEventListener('click', () => {
    if (!navigator.geolocation) {
      locateMessage('locate_unsupported');
      return;
    }
    locateMessage('locating');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        locateMessage(null);
        nearest(pos.coords.latitude, pos.coords.longitude, 'me');
      },
      (err) => {
        if (err.code === 1) locateMessage('locate_denied');
        else if (err.code === 3) locateMessage('locate_timeout');
        else locateMessage('locate_unavailable');
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
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
      status(t('route_choose_file'));
      $('gpx').focus();
      return;
    }
    await alongRoute(await f.text(), f.name.replace(/\.[^.]*$/, ''));
  }

  async function alongRoute(text, name) {
    const corridorKm = parseFloat($('corridor').value);
    if (!(corridorKm > 0)) {
      status(t('route_bad_corridor'));
      $('corridor').focus();
      return;
    }
    const p = filterParams();
    p.set('corridor_m', String(Math.round(corridorKm * 1000)));
    const type = text.trimStart().startsWith('{') ? 'application/geo+json' : 'application/gpx+xml';
    status(t('route_finding'));
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
        ol.appendChild(resultItem(o, esc(t('route_item', { along: I.num(o.along_km, { maximumFractionDigits: 1, minimumFractionDigits: 1 }), off: km(o.distance_m) }))));
      }
      state.lastRoute = res.outlets.map((o) => o.id);
      routeDl.text = null; // the last route's download choices no longer apply
      routeDl.choices.clear();
      updateExportLink();
      $('export-row').hidden = res.outlets.length === 0;
      if (res.outlets.length) routeDownloads(text, type, p, name);
      if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30] });
      status(t('route_count', { n: res.count }));
    } catch (e) {
      status(t('error_route', { message: e.message }));
    }
  }

  // The navigator-file download for the outlets along the last route, in route order:
  // GET /v1/exports/{format}?ids=1,2,3. OV2, Garmin CSV and KML come with their icons in a zip.
  // Once the route's download choices are in (routeDownloads), a click POSTs the route instead.
  const ZIPPED = new Set(['ov2', 'garmin-csv', 'csv', 'kml']);
  function updateExportLink() {
    const fmt = $('export-format').value;
    const a = $('export-link');
    a.href = `/v1/exports/${encodeURIComponent(fmt)}?ids=${state.lastRoute.join(',')}`;
    const choice = routeDl.choices.get(fmt);
    a.setAttribute('download', choice ? choice.filename : `route-outlets.${ZIPPED.has(fmt) ? 'zip' : fmt}`);
    // The whole label under the list (a narrow list cuts it), with the size and the file name.
    let info = $('export-info');
    if (!info) {
      info = document.createElement('p');
      info.id = 'export-info';
      info.className = 'hint';
      info.setAttribute('aria-live', 'polite');
      $('export-row').insertAdjacentElement('afterend', info);
    }
    info.hidden = !choice || $('export-row').hidden;
    info.textContent = choice
      ? t('export_info', { label: choice.label, n: routeDl.places, size: fileSize(choice.bytes), file: choice.filename })
      : '';
  }

  // ---------- route downloads ----------
  // POST /v1/exports with the route file lists each format labelled by the device it is for,
  // with the number of places and the file's size; a download POSTs the same route to
  // /v1/exports/{format}, so the GPX carries the route track beside the stops and the file is
  // named after the route and the day. The labels come translated from the server (`lang=`).
  const routeDl = { text: null, type: null, query: '', places: 0, choices: new Map(), asked: 0 };
  function pageLang() {
    const l = (document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
    return ['fi', 'sv', 'en'].includes(l) ? l : 'en';
  }
  function fileSize(bytes) {
    return bytes < 1024
      ? I.num(bytes, { style: 'unit', unit: 'byte' })
      : I.num(Math.max(1, Math.round(bytes / 1024)), { style: 'unit', unit: 'kilobyte' });
  }
  async function routeDownloads(text, type, params, name) {
    const q = new URLSearchParams(params);
    q.set('lang', pageLang());
    if (name) q.set('name', name);
    routeDl.text = null;
    routeDl.choices.clear();
    const asked = ++routeDl.asked;
    try {
      const res = await api(`/v1/exports?${q}`, { method: 'POST', headers: { 'Content-Type': type }, body: text });
      if (asked !== routeDl.asked) return; // a newer route asked meanwhile
      const sel = $('export-format');
      const keep = sel.value === 'garmin-csv' ? 'csv' : sel.value;
      sel.textContent = '';
      for (const c of res.formats) {
        routeDl.choices.set(c.format, c);
        const opt = document.createElement('option');
        opt.value = c.format;
        opt.textContent = t('export_choice', { label: c.label, n: res.places, size: fileSize(c.bytes) });
        sel.appendChild(opt);
      }
      if (routeDl.choices.has(keep)) sel.value = keep;
      Object.assign(routeDl, { text, type, query: q.toString(), places: res.places });
    } catch (e) {
      status(t('export_choices_failed', { message: e.message }));
    }
    updateExportLink();
  }
  async function downloadRouteFile(ev) {
    const c = routeDl.choices.get($('export-format').value);
    if (!c || !routeDl.text) return; // the plain link (ids in route order) downloads
    ev.preventDefault();
    try {
      const res = await fetch(`/v1/exports/${encodeURIComponent(c.format)}?${routeDl.query}`, {
        method: 'POST', headers: { 'Content-Type': routeDl.type }, body: routeDl.text,
      });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error(body.message || `${res.status} ${res.statusText}`);
      }
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = c.filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      status(t('export_download_failed', { message: e.message }));
    }
  }
  $('export-link').addEventListener('click', downloadRouteFile);

  $('route-go').addEventListener('click', alongRouteFile);

  // Drawing a route: while on, map clicks add points instead of asking for the nearest outlets.
  const drawing = { on: false, points: [], line: null };
  function setDrawing(on) {
    drawing.on = on;
    $('draw').setAttribute('aria-pressed', String(on));
    $('draw').textContent = on ? t('draw_cancel') : t('draw');
    $('draw').dataset.i18n = on ? 'draw_cancel' : 'draw';
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
    onEachFeature: (f, layer) => layer.bindTooltip(esc(t('tip_households', { h: householdsText(f.properties.households) }))),
  });
  const rings = L.layerGroup();
  const HEAT_STEPS = [10, 50, 200, 1000, 3000];
  const HEAT_COLOURS = ['#fee8c8', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'];

  // Figures below the privacy floor are never shown as numbers, whatever the service sends.
  function householdsText(h) {
    if (typeof h !== 'number') return String(h);
    return h < 10 ? '<10' : I.num(h);
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
      parts.push(`<span><i style="background:${HEAT_COLOURS[i]}"></i>${esc(I.num(s))}${next ? '–' + esc(I.num(next - 1)) : '+'}</span>`);
    });
    $('heat-legend').innerHTML = `${esc(t('legend_households_km2'))} ` + parts.join('');
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
      plannerOff(t('planner_enter_key'));
      return;
    }
    state.plannerKey = key;
    $('planner-msg').textContent = t('planner_checking');
    try {
      await loadHeat();
      $('planner').hidden = false;
      $('planner').disabled = false;
      heatLegend();
      fillWhatIfChains();
      $('planner-msg').textContent = t('planner_on');
    } catch (err) {
      if (err.status === 401 || err.status === 403) plannerOff(t('planner_not_planner'));
      else if (err.status === 404) plannerOff(t('planner_no_routes'));
      else plannerOff(t('error_planning', { message: err.message }));
    }
  });

  $('heat').addEventListener('change', () => loadHeat().catch((e) => status(t('error_density', { message: e.message }))));
  map.on('moveend', () => {
    if (state.plannerKey && $('heat').checked) loadHeat().catch((e) => status(t('error_density', { message: e.message })));
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
    return typeof v === 'number' ? `${I.num(v * 100, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %` : String(v);
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
    return `<table><caption>${esc(row.label || '')}: ${esc(t('n_households', { h: householdsText(row.households) }))}</caption>`
      + `<thead><tr><th scope="col">${esc(t('th_within'))}</th><th scope="col">${esc(t('th_households'))}</th><th scope="col">${esc(t('th_share'))}</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  $('coverage-go').addEventListener('click', async () => {
    const out = $('coverage-out');
    const p = filterParams();
    const d = ringMetres(null);
    if (d) p.set('distance_m', String(d));
    out.textContent = t('computing');
    try {
      const rep = await api(`/v1/planning/coverage?${p}`, { headers: plannerHeaders() });
      out.innerHTML = bandsTable(rep.total, d);
      document.body.dataset.coverage = 'done';
    } catch (e) {
      out.textContent = t('error_coverage', { message: e.message });
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
      esc(t('tip_catchment', {
        name: f.properties.name,
        h: householdsText(f.properties.households),
        median: typeof f.properties.median_m === 'number' ? km(f.properties.median_m) : String(f.properties.median_m),
      }))),
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
    out.textContent = t('computing');
    try {
      const fc = await api(`/v1/planning/catchments?${p}`, { headers: plannerHeaders() });
      catchmentLayer.clearLayers();
      catchmentLayer.addData(fc);
      catchmentLayer.addTo(map);
      const top = fc.features.slice().sort((a, b) => (Number(b.properties.households) || 0) - (Number(a.properties.households) || 0)).slice(0, 5);
      out.innerHTML = `<p>${esc(t('catchments_count', { n: fc.features.length }))}</p><ol>${top.map((f) =>
        `<li>${esc(f.properties.name)}: ${esc(householdsText(f.properties.households))}</li>`).join('')}</ol>`;
      document.body.dataset.catchments = String(fc.features.length);
    } catch (e) {
      out.textContent = t('error_catchments', { message: e.message });
    }
  });
  $('catchments-clear').addEventListener('click', clearCatchments);

  // ----- gaps: areas farther than D from every outlet -----

  const gapLayer = L.geoJSON(null, {
    pane: 'heatPane',
    style: () => ({ color: '#b42318', weight: 1, fillColor: '#b42318', fillOpacity: 0.45, className: 'gap-area' }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      esc(t('tip_gap', { rank: f.properties.rank, h: householdsText(f.properties.households), name: f.properties.nearest_outlet_name }))),
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
      out.textContent = t('gaps_bad_distance');
      return;
    }
    const p = filterParams();
    p.set('distance_m', String(Math.round(d * 1000)));
    p.set('format', 'geojson');
    out.textContent = t('computing');
    try {
      const fc = await api(`/v1/planning/gaps?${p}`, { headers: plannerHeaders() });
      gapLayer.clearLayers();
      gapLayer.addData(fc);
      gapLayer.addTo(map);
      const items = fc.features.slice(0, 10).map((f) => {
        const c = f.properties.centre;
        return `<li><button type="button" data-lat="${esc(c.lat)}" data-lon="${esc(c.lon)}">`
          + `${esc(t('gap_item', { rank: f.properties.rank, h: householdsText(f.properties.households) }))}</button></li>`;
      }).join('');
      out.innerHTML = `<p>${esc(t('gaps_count', { n: fc.features.length, d }))}</p><ol class="results">${items}</ol>`;
      out.querySelectorAll('button[data-lat]').forEach((b) => b.addEventListener('click', () =>
        map.setView([Number(b.dataset.lat), Number(b.dataset.lon)], Math.max(map.getZoom(), 10))));
      document.body.dataset.gaps = String(fc.features.length);
    } catch (e) {
      out.textContent = t('error_gaps', { message: e.message });
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
      }).bindTooltip(esc(t('tip_new', { chain: chainName(o.chain), i: i + 1 }))).addTo(whatIfLayer);
      items.push(`<li>${esc(t('whatif_open_item', { chain: chainName(o.chain), lat: coord(o.lat), lon: coord(o.lon) }))}</li>`);
    });
    for (const id of whatIf.close) {
      const o = state.outlets.find((x) => x.id === id);
      if (o) {
        L.circleMarker([o.lat, o.lon], {
          radius: 19, color: '#b42318', weight: 3, fill: false, dashArray: '3 3', className: 'whatif-close',
        }).bindTooltip(esc(t('tip_close', { name: o.name }))).addTo(whatIfLayer);
      }
      items.push(`<li>${esc(t('whatif_close_item', { name: o ? o.name : '', id: String(id) }))}</li>`);
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
      ? t('whatif_hint_open')
      : t('whatif_hint_close');
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
    if (chosenChains().length) sel.value = chosenChains()[0];
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
      out.textContent = t('whatif_nothing');
      return;
    }
    const p = filterParams();
    const d = ringMetres(5000);
    p.set('distance_m', String(d));
    out.textContent = t('computing');
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
      out.innerHTML = `<p id="whatif-summary">${esc(t('whatif_summary', { d: km(d), h0: householdsText(b0.households), h1: householdsText(b1.households), s0: shareText(b0.share_households), s1: shareText(b1.share_households) }))}</p>`
        + `<table><thead><tr><th scope="col">${esc(t('th_outlet'))}</th><th scope="col">${esc(t('th_change'))}</th><th scope="col">${esc(t('th_before'))}</th><th scope="col">${esc(t('th_after'))}</th></tr></thead><tbody>${changes}</tbody></table>`;
      document.body.dataset.whatif = 'done';
    } catch (e) {
      out.textContent = t('error_whatif', { message: e.message });
    }
  });

  // ---------- filters, language, layout ----------

  function chainSummary() {
    const n = chosenChains().length;
    $('chain-summary').textContent = n ? t('chains_chosen', { n }) : t('chains_all');
  }

  function filterChanged() {
    chainSummary();
    loadOutlets().catch((e) => status(e.message));
  }

  $('chain-list').addEventListener('change', filterChanged);
  $('chains-clear').addEventListener('click', () => {
    document.querySelectorAll('#chain-list input:checked').forEach((c) => { c.checked = false; });
    filterChanged();
  });
  $('category').addEventListener('change', filterChanged);
  $('open-now').addEventListener('change', () => {
    filterChanged();
    if (state.lastNearest) nearest(state.lastNearest.lat, state.lastNearest.lon, state.lastNearest.how);
  });
  $('panel-toggle').addEventListener('click', () => {
    const collapsed = $('panel').classList.toggle('collapsed');
    $('panel-toggle').setAttribute('aria-expanded', String(!collapsed));
    setTimeout(() => map.invalidateSize(), 0);
  });

  // Everything a person reads, again in the current language.
  function translate() {
    I.apply(document);
    $('lang').value = I.lang;
    document.querySelectorAll('#chain-list .chain-name').forEach((e) => {
      e.parentElement.title = t('chain_outlets', { n: Number(e.dataset.outlets) });
    });
    chainSummary();
    showCount();
    runSearch(false);
    showNearest();
    nearestStatus();
    if (state.locateKey) locateMessage(state.locateKey);
    if (state.cardDetail) $('card-body').innerHTML = Card.render(state.cardDetail, cardContext());
    if (state.plannerKey) heatLegend();
  }

  $('lang').addEventListener('change', async () => {
    await I.load($('lang').value, true);
    translate();
  });

  // For the browser tests and for curious people: read-only views of what the map shows.
  window.storenet = {
    map,
    shownOutletIds: () => cluster.getLayers().map((m) => m.outletId),
    // The marker of a chain's outlet as drawn (for the contrast test).
    markerHtml: (chain) => icon({ id: 0, chain }).options.html,
  };

  (async () => {
    try {
      await I.load(I.preferred(), false);
      translate();
      await Promise.all([loadBase(), loadChains()]);
      translate();
      await loadOutlets();
      openFromHash();
    } catch (e) {
      status(`${t('error_load')}: ${e.message}`);
    }
  })();
})();
