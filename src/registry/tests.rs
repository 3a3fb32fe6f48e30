//! Unit tests of the loaders' edge cases; the bad-input fixtures live in tests/it/registry.rs.

use super::*;
use proptest::prelude::*;
use std::path::PathBuf;

const CHAINS: &str = "id,name,category,k_group,colour,icon\n\
                      k-market,K-Market,food,true,#e2001a,M\n\
                      teboil,Teboil,fuel,false,#ff6f00,T\n";
const HEADER: &str =
    "id,name,chain,kind,street,postal_code,city,municipality,lat,lon,phone,opening_hours,services\n";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        let f = Files {
            dir: tempfile::tempdir().unwrap(),
        };
        f.write("chains.csv", CHAINS.as_bytes());
        f
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    fn chains(&self) -> PathBuf {
        self.dir.path().join("chains.csv")
    }
    fn load(&self, name: &str, bytes: &[u8]) -> (PathBuf, Result<Loaded, LoadError>) {
        let p = self.write(name, bytes);
        let r = load(&self.chains(), &p, &LoadOptions::default());
        (p, r)
    }
}

#[test]
fn quoted_fields_may_hold_commas_and_newlines_and_lines_stay_right() {
    let f = Files::new();
    let text = format!(
        "{HEADER}1,\"K-Market \"\"Keskusta\"\"\",k-market,store,\"Katu 1,\nB-rappu\",00100,Helsinki,091,60.1699,24.9384,,\"Mo-Fr 08:00-12:00,13:00-17:00\",\n\
         2,K-Market Kallio,k-market,store,Katu 2,00500,Helsinki,091,60.1841,24.9497,,Mo 25:00-26:00,\n"
    );
    let (p, r) = f.load("outlets.csv", text.as_bytes());
    let e = r.unwrap_err();
    assert_eq!(
        e.row_errors()[0].to_string(),
        format!(
            "{}:4: field `opening_hours`: hour 25 out of range (0..=24)",
            p.display()
        )
    );
    let loaded = load(&f.chains(), &p, &LoadOptions { skip_invalid: true }).unwrap();
    let o = &loaded.registry.outlets()[0];
    assert_eq!(o.name, "K-Market \"Keskusta\"");
    assert_eq!(o.address.street, "Katu 1,\nB-rappu");
    assert_eq!(o.hours.to_string(), "Mo-Fr 08:00-12:00,13:00-17:00");
}

#[test]
fn a_latin1_file_is_reported_per_field() {
    let f = Files::new();
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"1,K-Market K\xe4rk\xf6l\xe4,k-market,store,Katu 1,16600,J\xe4rvel\xe4,316,60.8745,25.2741,,24/7,\n",
    );
    let (p, r) = f.load("outlets.csv", &bytes);
    let rows: Vec<String> = r
        .unwrap_err()
        .row_errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    let p = p.display();
    assert_eq!(
        rows,
        [
            format!("{p}:2: field `name`: not valid UTF-8 (save the file as UTF-8)"),
            format!("{p}:2: field `city`: not valid UTF-8 (save the file as UTF-8)"),
        ]
    );
}

#[test]
fn a_bad_chains_file_lists_every_bad_row() {
    let f = Files::new();
    let chains = f.write(
        "chains.csv",
        b"id,name,category,k_group,colour,icon\n\
          K-Market,K-Market,food,true,#e2001a,M\n\
          teboil,Teboil,petrol,yes,ff6f00,TB\n\
          teboil,Teboil,fuel,false,#ff6f00,T\n\
          teboil,Teboil 2,fuel,false,#ff6f00,T\n",
    );
    let e = csv::read_chains(&chains).unwrap_err();
    let p = chains.display();
    let rows: Vec<String> = e.row_errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        rows,
        [
            format!("{p}:2: field `id`: invalid chain id `K-Market`: use lowercase letters, digits and '-' (e.g. `k-market`)"),
            format!("{p}:3: field `category`: unknown category `petrol`: expected one of food, building, sports, home, fuel, restaurant, other"),
            format!("{p}:3: field `k_group`: expected `true` or `false`, found `yes`"),
            format!("{p}:3: field `colour`: invalid colour `ff6f00`: expected `#rrggbb`"),
            format!("{p}:3: field `icon`: expected one letter, found `TB`"),
            format!("{p}:5: field `id`: duplicate chain id `teboil` (first on line 4)"),
        ]
    );
}

#[test]
fn a_chains_file_error_fails_the_load_even_with_skip_invalid() {
    let f = Files::new();
    f.write("chains.csv", b"id,name\nk-market,K-Market\n");
    let outlets = f.write("outlets.csv", HEADER.as_bytes());
    let e = load(&f.chains(), &outlets, &LoadOptions { skip_invalid: true }).unwrap_err();
    assert!(
        e.to_string()
            .ends_with(":1: field `category`: missing column in header (have: id,name)"),
        "{e}"
    );
}

#[test]
fn geojson_file_level_errors_are_clear() {
    let f = Files::new();
    let (p, r) = f.load(
        "a.geojson",
        b"{\"type\":\"FeatureCollection\",\"features\":[]}",
    );
    assert_eq!(
        r.unwrap_err().to_string(),
        format!("{}: the FeatureCollection has no features", p.display())
    );
    let (p, r) = f.load("b.geojson", b"{\"type\":\"Feature\"}");
    assert_eq!(
        r.unwrap_err().to_string(),
        format!(
            "{}:1: expected a GeoJSON FeatureCollection with a `features` array",
            p.display()
        )
    );
    let (p, r) = f.load("c.json", b"{\n\"type\": \n");
    let text = r.unwrap_err().to_string();
    assert!(
        text.starts_with(&format!("{}:3: not valid JSON: ", p.display())),
        "{text}"
    );
    // A GeoJSON without the extension is recognised by its first character.
    let (_, r) = f.load(
        "d.txt",
        b"\xEF\xBB\xBF {\"type\":\"FeatureCollection\",\"features\":[]}",
    );
    assert!(matches!(r, Err(LoadError::Empty { .. })));
}

#[test]
fn a_file_without_coordinate_columns_is_refused() {
    let f = Files::new();
    let (p, r) = f.load(
        "outlets.csv",
        b"id,name,chain,kind,street,postal_code,city,municipality,opening_hours\n1,A,k-market,store,K,00100,H,091,24/7\n",
    );
    assert_eq!(
        r.unwrap_err().to_string(),
        format!(
            "{}:1: field `lat`: no coordinate columns: need `lat,lon` (WGS84) or `x,y,crs` (EPSG 3067 or 2393)",
            p.display()
        )
    );
}

#[test]
fn search_filters_combine() {
    let f = Files::new();
    let text = format!(
        "{HEADER}1,K-Market Kallio,k-market,store,K 1,00500,Helsinki,091,60.1841,24.9497,,24/7,\n\
         2,Teboil Kallio,teboil,partner,K 2,00500,Helsinki,091,60.1842,24.9498,,24/7,fuel\n\
         3,K-Market Oulu,k-market,store,K 3,90100,Oulu,564,65.0121,25.4651,,24/7,\n"
    );
    let (_, r) = f.load("outlets.csv", text.as_bytes());
    let reg = r.unwrap().registry;
    let ids = |q: &OutletQuery| -> Vec<u32> { reg.search(q).iter().map(|o| o.id.0).collect() };
    assert_eq!(ids(&OutletQuery::default()), [1, 2, 3]);
    let kallio = OutletQuery {
        name: Some("KALLIO".into()),
        ..Default::default()
    };
    assert_eq!(ids(&kallio), [1, 2]);
    let food_in_helsinki = OutletQuery {
        category: Some(crate::model::Category::Food),
        municipality: Some("91".parse().unwrap()),
        ..Default::default()
    };
    assert_eq!(ids(&food_in_helsinki), [1]);
    let chains = OutletQuery {
        chains: vec![
            ChainId::new("teboil").unwrap(),
            ChainId::new("k-market").unwrap(),
        ],
        name: Some("oulu".into()),
        ..Default::default()
    };
    assert_eq!(ids(&chains), [3]);
    let rec = OutletRecord::from(reg.outlet(OutletId(2)).unwrap());
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["lat"], 60.1842);
    assert_eq!(json["services"][0], "fuel");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn loading_arbitrary_bytes_never_panics(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let f = Files::new();
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        let _ = f.load("outlets.csv", &bytes);
        let _ = f.load("outlets.geojson", &body);
    }

    #[test]
    fn loading_near_miss_rows_never_panics(row in "[0-9a-zK,.;: -]{0,80}") {
        let f = Files::new();
        let _ = f.load("outlets.csv", format!("{HEADER}{row}\n").as_bytes());
    }
}
