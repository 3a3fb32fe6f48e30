# Finnish (default). Every message id here exists in sv.ftl and en.ftl too (tested).

## Navigator descriptions
desc-phone = Puh. { $phone }
desc-hours = Aukioloajat: { $hours }
desc-exceptions = Poikkeusaukiolot: { $days }
desc-offers = Tarjoukset: { $offers }
hours-always = auki ympäri vuorokauden
hours-every-day = joka päivä { $times }
hours-closed = suljettu
hours-days = { $days } { $times }
day-range = { $from }–{ $to }
time-span = { $from }–{ $to }
time-h = { $h }
time-hm = { $h }.{ $mm }
date-day = { $weekday } { $d }.{ $m }.
weekday-1 = ma
weekday-2 = ti
weekday-3 = ke
weekday-4 = to
weekday-5 = pe
weekday-6 = la
weekday-7 = su
offer-discount = -{ $percent } %
offer-points =
    { $points ->
        [one] { $points } lisäpiste
       *[other] { $points } lisäpistettä
    }
offer-with-benefit = { $title } ({ $benefit })
export-title = K-Plussa-kaupat
export-subtitle = K-Plussa-kaupat; tarjoukset voimassa { $date }

## Download choices (GET /v1/exports)
download-stem = k-plussa-kaupat
format-gpi = Garmin-autonavigaattori – GPI
format-ov2 = TomTom – OV2
format-gpx = Puhelinsovellukset kuten OsmAnd – GPX
format-kml = Google Earth / My Maps – KML
format-kmz = Google Earth / My Maps kuvakkeineen – KMZ
format-csv = Garmin POI Loader (vanhemmat Garminit) – CSV
format-geojson = Karttaohjelmat kuten QGIS – GeoJSON
route-track-name = Reitti
link-map = Kartta

## Route files that cannot be used
route-error-empty = Reittitiedosto on tyhjä. Lähetä reitti GPX- tai GeoJSON-tiedostona.
route-error-not-route = Tämä ei ole reittitiedosto: odotettiin GPX-tiedostoa (navigaattorista tai reittisovelluksesta) tai GeoJSON-viivaa, mutta saatiin { $found }.
route-error-malformed = { $format }-tiedosto on rikki, eikä sitä voi lukea (tekninen syy: { $reason }).
route-error-not-line = GeoJSON-tiedostossa on { $found }, mutta reitiksi tarvitaan viiva (LineString tai MultiLineString).
route-error-several =
    { $count ->
        [one] GeoJSON-tiedostossa on { $count } viiva; lähetä yksi reitti kerrallaan.
       *[other] GeoJSON-tiedostossa on { $count } viivaa; lähetä yksi reitti kerrallaan.
    }
route-error-no-points = Reittitiedostossa ei ole yhtään reittipistettä.
route-error-one-point = Reitillä on vain yksi piste; reittiin tarvitaan vähintään kaksi.
route-error-too-many = Reitillä on yli { $max } pistettä; yksinkertaista reitti ensin.
route-error-bad-point = Reitin { $number }. piste on virheellinen: { $reason }
route-error-corridor = Käytävän leveys { $value } ei kelpaa: anna metrit väliltä 1–{ $max }.
found-pdf = PDF-asiakirja
found-zip = ZIP-paketti (esimerkiksi KMZ); pura se ja lähetä sen sisältämä reitti
found-image = kuva
found-html = verkkosivu (HTML)
found-kml = KML-tiedosto; tallenna reitti GPX-muodossa
found-xml = XML-tiedosto, jonka juurielementti on <{ $root }>
found-json = JSON-tiedosto, joka ei ole GeoJSONia
found-text = tekstiä, joka alkaa ”{ $start }”
found-binary = tunnistamaton binääritiedosto

## README.txt of a zipped export
readme-title = K-Plussa-kaupat navigaattoriin, { $date }
readme-intro = Kauppojen osoite, puhelin, aukioloajat ja { $date } voimassa olevat tarjoukset.
readme-gpx = GPX: tuo OsmAndiin (Omat paikat > Tuo), Garmin BaseCampiin tai muuhun GPS-sovellukseen. Jokainen ketju on oma ryhmänsä omalla värillään.
readme-ov2 = OV2: kopioi jokainen .ov2 samannimisen .bmp-kuvakkeensa kanssa TomTomin karttakansioon (esim. MyDrive Connect > POI). Nimen '>'-merkin jälkeinen osa on puhelinnumero.
readme-gpi = GPI: kopioi .gpi Garminin kansioon \Garmin\POI (luo se, jos sitä ei ole). Koodisivu 65001 (UTF-8) vaatii uudehkon laitteen; vanhemmille vie tiedosto asetuksella --codepage 1252.
readme-csv = CSV: avaa kansio Garmin POI Loaderissa; jokainen tiedosto on yksi luokka ja sen .bmp kuvake.
readme-kml = KML: avaa Google Earthissa; pidä icons/-kansio .kml-tiedoston vieressä.
readme-kmz = KMZ: avaa Google Earthissa tai Google My Mapsissa; kuvakkeet ovat mukana.
readme-geojson = GeoJSON: avaa QGIS:ssä, geojson.io:ssa tai muussa karttaohjelmassa.
readme-alerts = Läheisyys- ja nopeushälytykset ovat GPI- ja GPX-tiedostoissa.
