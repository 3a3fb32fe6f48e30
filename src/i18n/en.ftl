# English. Every message id here exists in fi.ftl and sv.ftl too (tested).

## Navigator descriptions
desc-phone = Tel. { $phone }
desc-hours = Opening hours: { $hours }
desc-exceptions = Special opening hours: { $days }
desc-offers = Offers: { $offers }
hours-always = open 24 hours
hours-every-day = daily { $times }
hours-closed = closed
hours-days = { $days } { $times }
day-range = { $from }–{ $to }
time-span = { $from }–{ $to }
time-h = { $h }
time-hm = { $h }:{ $mm }
date-day = { $weekday } { $d }.{ $m }.
weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun
offer-discount = -{ $percent } %
offer-points =
    { $points ->
        [one] { $points } extra point
       *[other] { $points } extra points
    }
offer-with-benefit = { $title } ({ $benefit })
export-title = K-Plussa stores
export-subtitle = K-Plussa stores; offers valid on { $date }

## Download choices (GET /v1/exports)
download-stem = k-plussa-stores
format-gpi = Garmin car navigator – GPI
format-ov2 = TomTom – OV2
format-gpx = Phone apps such as OsmAnd – GPX
format-kml = Google Earth / My Maps – KML
format-kmz = Google Earth / My Maps with icons – KMZ
format-csv = Garmin POI Loader (older Garmins) – CSV
format-geojson = Map software such as QGIS – GeoJSON
route-track-name = Route
link-map = Map

## Route files that cannot be used
route-error-empty = The route file is empty. Send the route as a GPX or GeoJSON file.
route-error-not-route = This is not a route file: expected a GPX file (from a navigator or route planner) or a GeoJSON line, but got { $found }.
route-error-malformed = The { $format } file is damaged and cannot be read (technical reason: { $reason }).
route-error-not-line = The GeoJSON file holds { $found }, but a route must be a line (LineString or MultiLineString).
route-error-several =
    { $count ->
        [one] The GeoJSON file holds { $count } line; send one route at a time.
       *[other] The GeoJSON file holds { $count } lines; send one route at a time.
    }
route-error-no-points = The route file holds no route points.
route-error-one-point = The route has only one point; a route needs at least two.
route-error-too-many = The route has more than { $max } points; simplify it first.
route-error-bad-point = Point number { $number } of the route is wrong: { $reason }
route-error-corridor = The corridor width { $value } cannot be used: give metres from 1 to { $max }.
found-pdf = a PDF document
found-zip = a ZIP archive (a KMZ, for example); unpack it and send the route inside
found-image = an image
found-html = a web page (HTML)
found-kml = a KML file; save the route as GPX
found-xml = an XML file whose root element is <{ $root }>
found-json = a JSON file that is not GeoJSON
found-text = text starting “{ $start }”
found-binary = an unrecognised binary file

## README.txt of a zipped export
readme-title = K-Plussa stores for navigators, { $date }
readme-intro = The stores' address, phone, opening hours and the offers valid on { $date }.
readme-gpx = GPX: import into OsmAnd (My Places > Import), Garmin BaseCamp or any GPS app. Each chain is a group with its own colour.
readme-ov2 = OV2: copy each .ov2 together with its .bmp icon (same name) into the map folder of your TomTom (e.g. via MyDrive Connect > POI). The part of a name after '>' is the phone number.
readme-gpi = GPI: copy the .gpi into the Garmin's \Garmin\POI folder (create it if missing). Codepage 65001 (UTF-8) needs a recent device; export with --codepage 1252 for older ones.
readme-csv = CSV: open the folder in Garmin POI Loader; each file is one category, its .bmp the icon.
readme-kml = KML: open in Google Earth; keep the icons/ folder next to the .kml.
readme-kmz = KMZ: open in Google Earth or Google My Maps; the icons are inside.
readme-geojson = GeoJSON: load in QGIS, geojson.io or any web map.
readme-alerts = Proximity and speed alerts are set in the GPI and GPX files.
