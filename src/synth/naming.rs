//! Synthetic details of an outlet: district names, street addresses, postal codes, phone
//! numbers, opening hours and service tags.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Postal regions: a point in the region, the first two digits of its postal codes and the
/// region's landline area code. A place takes the region of the nearest point.
const REGIONS: &[(f64, f64, &str, &str)] = &[
    (60.17, 24.94, "00", "9"),
    (60.29, 25.04, "01", "9"),
    (60.21, 24.66, "02", "9"),
    (60.12, 24.44, "02", "9"),
    (60.47, 25.09, "04", "9"),
    (60.63, 24.86, "05", "19"),
    (60.39, 25.66, "06", "19"),
    (60.25, 24.07, "08", "19"),
    (59.97, 23.43, "10", "19"),
    (60.74, 24.77, "11", "19"),
    (61.00, 24.46, "13", "3"),
    (60.98, 25.66, "15", "3"),
    (61.20, 26.03, "18", "3"),
    (60.45, 22.27, "20", "2"),
    (60.30, 22.30, "21", "2"),
    (60.10, 19.94, "22", "18"),
    (60.80, 21.41, "23", "2"),
    (60.38, 23.13, "24", "2"),
    (61.13, 21.51, "26", "2"),
    (61.48, 21.80, "28", "2"),
    (60.81, 23.62, "30", "3"),
    (61.50, 23.76, "33", "3"),
    (62.00, 24.40, "35", "3"),
    (61.27, 24.03, "37", "3"),
    (61.34, 22.90, "38", "3"),
    (62.24, 25.75, "40", "14"),
    (61.86, 25.19, "42", "14"),
    (62.60, 25.73, "44", "14"),
    (60.87, 26.70, "45", "5"),
    (60.47, 26.95, "48", "5"),
    (61.69, 27.27, "50", "15"),
    (61.06, 28.19, "53", "5"),
    (61.19, 28.77, "55", "5"),
    (61.87, 28.88, "57", "15"),
    (62.79, 22.84, "60", "6"),
    (62.27, 21.38, "64", "6"),
    (63.10, 21.62, "65", "6"),
    (63.84, 23.13, "67", "6"),
    (63.67, 22.70, "68", "6"),
    (62.89, 27.68, "70", "17"),
    (63.56, 27.19, "74", "17"),
    (63.54, 29.14, "75", "13"),
    (62.31, 27.87, "78", "17"),
    (62.60, 29.76, "80", "13"),
    (64.07, 24.54, "84", "8"),
    (64.23, 27.73, "87", "8"),
    (65.01, 25.47, "90", "8"),
    (64.68, 24.48, "92", "8"),
    (65.96, 29.19, "93", "8"),
    (65.74, 24.56, "94", "16"),
    (65.85, 24.15, "95", "16"),
    (66.50, 25.72, "96", "16"),
    (66.71, 27.43, "98", "16"),
    (67.42, 26.59, "99", "16"),
    (68.66, 27.54, "99", "16"),
    (67.65, 24.90, "99", "16"),
];

fn region(lon: f64, lat: f64) -> (&'static str, &'static str) {
    let mut best = (f64::INFINITY, "00", "9");
    for &(rlat, rlon, prefix, area) in REGIONS {
        let d = super::sources::km(lon, lat, rlon, rlat);
        if d < best.0 {
            best = (d, prefix, area);
        }
    }
    (best.1, best.2)
}

/// A plausible postal code: the region's two digits, then three digits derived from the
/// municipality and the district slot (street-address codes end in 0).
pub(crate) fn postal_code(lon: f64, lat: f64, municipality: u16, slot: u32) -> String {
    let (prefix, _) = region(lon, lat);
    let mid = 10 + (u32::from(municipality) * 37 + slot * 7) % 90;
    format!("{prefix}{mid:02}0")
}

/// A phone number in international format: a regional landline or, now and then, a mobile.
pub(crate) fn phone(lon: f64, lat: f64, rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.3) {
        let op = ["40", "44", "45", "50"]
            .choose(rng)
            .copied()
            .unwrap_or("40");
        return format!(
            "+358 {op} {:03} {:04}",
            rng.gen_range(100..1000),
            rng.gen_range(0..10_000)
        );
    }
    let (_, area) = region(lon, lat);
    format!(
        "+358 {area} {:03} {:04}",
        rng.gen_range(200..1000),
        rng.gen_range(0..10_000)
    )
}

const DISTRICT_STEMS: &[&str] = &[
    "Koivu", "Mänty", "Kuusi", "Päivä", "Järven", "Mäki", "Niitty", "Pelto", "Ranta", "Kallio",
    "Lehto", "Kirkon", "Myllyn", "Salo", "Aho", "Haka", "Hiekka", "Hirvi", "Kettu", "Tervas",
    "Pihlaja", "Vaahtera", "Tammi", "Kanerva", "Kivi", "Lähde", "Sammal", "Ylä", "Ala", "Itä",
];
const DISTRICT_ENDS: &[&str] = &[
    "mäki", "kylä", "niemi", "harju", "lahti", "rinne", "puisto", "vaara", "koski", "lampi",
    "kangas", "lä", "suo", "nummi", "pää",
];

/// A synthetic Finnish district name (`Koivuharju`, `Päivärinne`); vowel harmony is ignored,
/// as it is in many real compound names.
pub(crate) fn synthetic_district(rng: &mut ChaCha8Rng) -> String {
    let stem = DISTRICT_STEMS.choose(rng).copied().unwrap_or("Koivu");
    let end = DISTRICT_ENDS.choose(rng).copied().unwrap_or("mäki");
    format!("{stem}{end}")
}

/// What kind of street a chain's outlets stand on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Street {
    /// A town centre (`-katu`).
    Centre,
    /// A village (`-tie`).
    Village,
    /// A retail park or industrial area.
    RetailPark,
    /// A main road.
    Road,
}

/// A synthetic street address such as `Kauppakatu 12`.
pub(crate) fn street(kind: Street, rng: &mut ChaCha8Rng) -> String {
    let names: &[&str] = match kind {
        Street::Centre => &[
            "Kauppakatu",
            "Keskuskatu",
            "Torikatu",
            "Asemakatu",
            "Rautatienkatu",
            "Kirkkokatu",
            "Koulukatu",
            "Puistokatu",
            "Rantakatu",
            "Hämeenkatu",
            "Läntinen Pitkäkatu",
            "Itäinen Rantakatu",
            "Pohjoisesplanadi",
            "Kävelykatu",
            "Satamakatu",
        ],
        Street::Village => &[
            "Kauppatie",
            "Kirkkotie",
            "Koulutie",
            "Asematie",
            "Myllytie",
            "Rantatie",
            "Keskustie",
            "Kylätie",
            "Pappilantie",
            "Mäntytie",
            "Koivutie",
            "Järvitie",
            "Meijerintie",
            "Sahantie",
        ],
        Street::RetailPark => &[
            "Teollisuustie",
            "Kauppakaari",
            "Varastokatu",
            "Ohikulkutie",
            "Tukkutie",
            "Hallitie",
            "Konepajantie",
            "Valimotie",
            "Kehätie",
            "Yrittäjäntie",
            "Kauppaneuvoksentie",
            "Pajatie",
        ],
        Street::Road => &[
            "Valtatie",
            "Maantie",
            "Liikennetie",
            "Kantatie",
            "Vanha valtatie",
            "Kylätie",
            "Huoltoasemantie",
            "Ohikulkutie",
        ],
    };
    let name = names.choose(rng).copied().unwrap_or("Kauppakatu");
    format!("{name} {}", rng.gen_range(1..=60))
}

/// Opening hours for an outlet of `chain`, in the OSM `opening_hours` subset the registry
/// parses: weekday selectors (ranges and lists), `HH:MM-HH:MM` spans, `24/7` and `off`.
/// `big` marks an outlet in a large town, where long hours are likelier.
pub(crate) fn opening_hours(chain: &str, big: bool, rng: &mut ChaCha8Rng) -> &'static str {
    let choices: &[(&str, u32)] = match chain {
        "k-citymarket" => &[
            ("Mo-Fr 07:00-22:00; Sa 07:00-22:00; Su 10:00-22:00", 5),
            ("Mo-Sa 07:00-23:00; Su 09:00-23:00", if big { 4 } else { 1 }),
            ("24/7", if big { 1 } else { 0 }),
        ],
        "k-supermarket" => &[
            ("Mo-Fr 07:00-22:00; Sa 08:00-22:00; Su 10:00-22:00", 5),
            ("Mo-Su 07:00-22:00", 3),
            ("Mo-Su 07:00-23:00", if big { 2 } else { 0 }),
        ],
        "k-market" => &[
            ("Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00", 6),
            ("Mo-Su 07:00-23:00", if big { 4 } else { 1 }),
            (
                "Mo-Fr 08:00-20:00; Sa 08:00-18:00; Su 12:00-18:00",
                if big { 0 } else { 4 },
            ),
            ("Mo-Sa 07:00-21:00; Su 10:00-21:00", 3),
        ],
        "k-rauta" | "rautia" => &[
            ("Mo-Fr 07:00-20:00; Sa 09:00-16:00; Su off", 5),
            ("Mo-Fr 07:00-20:00; Sa 09:00-17:00; Su 11:00-16:00", 3),
            (
                "Mo-Fr 07:00-18:00; Sa 09:00-14:00; Su off",
                if big { 0 } else { 3 },
            ),
        ],
        "intersport" | "budget-sport" | "kodin-ykkonen" => &[
            ("Mo-Fr 10:00-20:00; Sa 10:00-18:00; Su 12:00-18:00", 5),
            ("Mo-Fr 10:00-19:00; Sa 10:00-17:00; Su off", 2),
        ],
        "k-auto" | "rengaspiste" => &[
            ("Mo-Fr 08:00-18:00; Sa 10:00-15:00; Su off", 4),
            ("Mo-Fr 08:00-17:00; Sa,Su off", 2),
        ],
        "teboil" => &[
            ("24/7", 5),
            ("Mo-Fr 06:00-22:00; Sa,Su 08:00-22:00", 3),
            ("Mo-Su 06:00-23:00", 3),
        ],
        "center-inn" => &[
            ("Mo-Th 11:00-22:00; Fr,Sa 11:00-23:00; Su 12:00-21:00", 3),
            ("Mo-Fr 10:30-22:00; Sa 12:00-23:00; Su 12:00-20:00", 2),
        ],
        "lahiapteekki" => &[
            ("Mo-Fr 09:00-20:00; Sa 09:00-16:00; Su off", 5),
            ("Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su 12:00-18:00", 2),
            ("Mo-Su 08:00-22:00", if big { 1 } else { 0 }),
        ],
        "kahvila-kaneli" => &[
            ("Mo-Fr 08:00-18:00; Sa 09:00-16:00; Su off", 4),
            ("Mo-Fr 07:30-19:00; Sa,Su 10:00-17:00", 3),
        ],
        "pesupiste" => &[
            ("Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su 10:00-18:00", 3),
            ("24/7", 2),
        ],
        "kuntopaja" => &[("Mo-Fr 06:00-22:00; Sa,Su 08:00-20:00", 3), ("24/7", 2)],
        "hotelli-revontuli" => &[("24/7", 1)],
        _ => &[
            ("Mo-Fr 10:00-18:00; Sa 10:00-15:00; Su off", 4),
            ("Mo-Fr 09:00-17:00; Sa off; Su off", 1),
            ("Mo-Fr 10:00-19:00; Sa 10:00-16:00; Su 12:00-16:00", 2),
        ],
    };
    pick_weighted(choices, rng)
}

fn pick_weighted<T: Copy>(choices: &[(T, u32)], rng: &mut ChaCha8Rng) -> T {
    let total: u32 = choices.iter().map(|c| c.1).sum();
    let mut r = rng.gen_range(0..total.max(1));
    for &(v, w) in choices {
        if r < w {
            return v;
        }
        r -= w;
    }
    choices[0].0
}

/// Service tags for an outlet of `chain`, sorted and without duplicates.
pub(crate) fn services(chain: &str, big: bool, rng: &mut ChaCha8Rng) -> Vec<&'static str> {
    let b = if big { 1.0 } else { 0.6 };
    let odds: &[(&str, f64)] = match chain {
        "k-citymarket" => &[
            ("bottle_return", 1.0),
            ("parcel_locker", 0.9),
            ("post", 0.6),
            ("pharmacy", 0.5),
            ("ev_charging", 0.7),
            ("cafe", 0.5),
            ("fuel", 0.3),
        ],
        "k-supermarket" => &[
            ("bottle_return", 1.0),
            ("parcel_locker", 0.8),
            ("post", 0.4),
            ("pharmacy", 0.2),
            ("ev_charging", 0.4),
        ],
        "k-market" => &[
            ("bottle_return", 0.95),
            ("parcel_locker", 0.5),
            ("post", 0.35),
            ("pharmacy", 0.05),
            ("ev_charging", 0.1),
        ],
        "k-rauta" | "rautia" => &[("parcel_locker", 0.4), ("ev_charging", 0.3)],
        "k-auto" => &[("ev_charging", 0.8), ("car_wash", 0.4)],
        "teboil" => &[
            ("fuel", 1.0),
            ("car_wash", 0.5),
            ("cafe", 0.6),
            ("ev_charging", 0.3),
            ("parcel_locker", 0.2),
        ],
        "center-inn" => &[("cafe", 0.3)],
        "lahiapteekki" => &[("pharmacy", 1.0), ("parcel_locker", 0.2)],
        "kahvila-kaneli" => &[("cafe", 1.0)],
        "pesupiste" => &[("car_wash", 1.0), ("ev_charging", 0.2)],
        "hotelli-revontuli" => &[("cafe", 0.6), ("ev_charging", 0.5)],
        _ => &[("parcel_locker", 0.1)],
    };
    let mut out: Vec<&'static str> = odds
        .iter()
        .filter(|&&(_, p)| rng.gen_bool((p * if p < 1.0 { b } else { 1.0 }).clamp(0.0, 1.0)))
        .map(|&(s, _)| s)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn postal_codes_have_five_digits_and_follow_the_region() {
        let helsinki = postal_code(24.94, 60.17, 91, 0);
        assert_eq!(helsinki.len(), 5);
        assert!(helsinki.starts_with("00"));
        assert!(postal_code(25.47, 65.01, 564, 3).starts_with("90"));
        assert!(postal_code(19.94, 60.10, 478, 1).starts_with("22"));
    }

    #[test]
    fn phones_are_international() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let p = phone(23.76, 61.5, &mut rng);
            assert!(p.starts_with("+358 "), "{p}");
            assert!(p[1..].chars().all(|c| c.is_ascii_digit() || c == ' '));
        }
    }
}
