# Swedish. Every message id here exists in fi.ftl and en.ftl too (tested).

## Navigator descriptions
desc-phone = Tfn { $phone }
desc-hours = Öppettider: { $hours }
desc-exceptions = Avvikande öppettider: { $days }
desc-offers = Erbjudanden: { $offers }
hours-always = öppet dygnet runt
hours-every-day = alla dagar { $times }
hours-closed = stängt
hours-days = { $days } { $times }
day-range = { $from }–{ $to }
time-span = { $from }–{ $to }
time-h = { $h }
time-hm = { $h }.{ $mm }
date-day = { $weekday } { $d }.{ $m }.
weekday-1 = mån
weekday-2 = tis
weekday-3 = ons
weekday-4 = tor
weekday-5 = fre
weekday-6 = lör
weekday-7 = sön
offer-discount = -{ $percent } %
offer-points =
    { $points ->
        [one] { $points } extrapoäng
       *[other] { $points } extrapoäng
    }
offer-with-benefit = { $title } ({ $benefit })
export-title = K-Plussa-butiker
export-subtitle = K-Plussa-butiker; erbjudanden som gäller { $date }

## Download choices (GET /v1/exports)
download-stem = k-plussa-butiker
format-gpi = Garmin bilnavigator – GPI
format-ov2 = TomTom – OV2
format-gpx = Mobilappar som OsmAnd – GPX
format-kml = Google Earth / My Maps – KML
format-kmz = Google Earth / My Maps med ikoner – KMZ
format-csv = Garmin POI Loader (äldre Garmin) – CSV
format-geojson = Kartprogram som QGIS – GeoJSON
route-track-name = Rutt
link-map = Karta

## Route files that cannot be used
route-error-empty = Ruttfilen är tom. Skicka rutten som en GPX- eller GeoJSON-fil.
route-error-not-route = Det här är ingen ruttfil: en GPX-fil (från en navigator eller ruttapp) eller en GeoJSON-linje väntades, men det som kom var { $found }.
route-error-malformed = { $format }-filen är trasig och kan inte läsas (teknisk orsak: { $reason }).
route-error-not-line = GeoJSON-filen innehåller { $found }, men en rutt måste vara en linje (LineString eller MultiLineString).
route-error-several =
    { $count ->
        [one] GeoJSON-filen innehåller { $count } linje; skicka en rutt åt gången.
       *[other] GeoJSON-filen innehåller { $count } linjer; skicka en rutt åt gången.
    }
route-error-no-points = Ruttfilen innehåller inga ruttpunkter.
route-error-one-point = Rutten har bara en punkt; en rutt behöver minst två.
route-error-too-many = Rutten har fler än { $max } punkter; förenkla den först.
route-error-bad-point = Ruttens punkt nummer { $number } är felaktig: { $reason }
route-error-corridor = Korridorbredden { $value } duger inte: ange meter mellan 1 och { $max }.
found-pdf = ett PDF-dokument
found-zip = ett ZIP-paket (till exempel KMZ); packa upp det och skicka rutten i det
found-image = en bild
found-html = en webbsida (HTML)
found-kml = en KML-fil; spara rutten som GPX
found-xml = en XML-fil med rotelementet <{ $root }>
found-json = en JSON-fil som inte är GeoJSON
found-text = text som börjar ”{ $start }”
found-binary = en okänd binärfil

## README.txt of a zipped export
readme-title = K-Plussa-butiker för navigatorn, { $date }
readme-intro = Butikernas adress, telefon, öppettider och erbjudanden som gäller { $date }.
readme-gpx = GPX: importera i OsmAnd (Mina platser > Importera), Garmin BaseCamp eller en annan GPS-app. Varje kedja är en egen grupp med egen färg.
readme-ov2 = OV2: kopiera varje .ov2 med sin .bmp-ikon (samma namn) till TomTomens kartmapp (t.ex. via MyDrive Connect > POI). Delen av namnet efter '>' är telefonnumret.
readme-gpi = GPI: kopiera .gpi-filen till Garminens mapp \Garmin\POI (skapa den om den saknas). Teckentabell 65001 (UTF-8) kräver en nyare enhet; exportera med --codepage 1252 för äldre.
readme-csv = CSV: öppna mappen i Garmin POI Loader; varje fil är en kategori och dess .bmp ikonen.
readme-kml = KML: öppna i Google Earth; håll mappen icons/ bredvid .kml-filen.
readme-kmz = KMZ: öppna i Google Earth eller Google My Maps; ikonerna ingår.
readme-geojson = GeoJSON: öppna i QGIS, geojson.io eller ett annat kartprogram.
readme-alerts = Närhets- och hastighetsvarningar finns i GPI- och GPX-filerna.
