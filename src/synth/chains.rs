//! The chains: the K-Group chains, the two named partners and invented partner chains.

use serde::Serialize;

/// One row of `chains.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainSpec {
    /// Slug.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Category name.
    pub category: &'static str,
    /// K-Group chain (true) or partner (false).
    pub k_group: bool,
    /// `#rrggbb`.
    pub colour: &'static str,
    /// Icon letter.
    pub icon: char,
}

const fn c(
    id: &'static str,
    name: &'static str,
    category: &'static str,
    k_group: bool,
    colour: &'static str,
    icon: char,
) -> ChainSpec {
    ChainSpec {
        id,
        name,
        category,
        k_group,
        colour,
        icon,
    }
}

/// Every chain, in file order. The first eleven match `tests/fixtures/chains.csv`; the partners
/// after them are invented (plausible Finnish names that belong to no real company).
pub const CHAINS: [ChainSpec; 21] = [
    c("k-citymarket", "K-Citymarket", "food", true, "#b71c1c", 'C'),
    c(
        "k-supermarket",
        "K-Supermarket",
        "food",
        true,
        "#e65100",
        'S',
    ),
    c("k-market", "K-Market", "food", true, "#e2001a", 'M'),
    c("k-rauta", "K-Rauta", "building", true, "#1565c0", 'R'),
    c("rautia", "Rautia", "building", true, "#2e7d32", 'A'),
    c("intersport", "Intersport", "sports", true, "#0d47a1", 'I'),
    c(
        "budget-sport",
        "Budget Sport",
        "sports",
        true,
        "#6a1b9a",
        'B',
    ),
    c(
        "kodin-ykkonen",
        "Kodin Ykkönen",
        "home",
        true,
        "#00838f",
        'Y',
    ),
    c("k-auto", "K-Auto", "other", true, "#37474f", 'K'),
    c("teboil", "Teboil", "fuel", false, "#ff6f00", 'T'),
    c(
        "center-inn",
        "Center Inn",
        "restaurant",
        false,
        "#795548",
        'N',
    ),
    c(
        "lahiapteekki",
        "Lähiapteekki",
        "other",
        false,
        "#43a047",
        'P',
    ),
    c(
        "kahvila-kaneli",
        "Kahvila Kaneli",
        "restaurant",
        false,
        "#8d6e63",
        'E',
    ),
    c("pesupiste", "Pesupiste", "other", false, "#29b6f6", 'W'),
    c(
        "optiikka-kirkas",
        "Optiikka Kirkas",
        "other",
        false,
        "#5c6bc0",
        'O',
    ),
    c(
        "kukkapuoti-kielo",
        "Kukkapuoti Kielo",
        "other",
        false,
        "#ec407a",
        'L',
    ),
    c("rengaspiste", "Rengaspiste", "other", false, "#616161", 'G'),
    c("kuntopaja", "Kuntopaja", "sports", false, "#c0ca33", 'U'),
    c(
        "lemmikkipuoti",
        "Lemmikkipuoti",
        "other",
        false,
        "#a1887f",
        'V',
    ),
    c(
        "kirjapuoti-sivu",
        "Kirjapuoti Sivu",
        "other",
        false,
        "#7e57c2",
        'Q',
    ),
    c(
        "hotelli-revontuli",
        "Hotelli Revontuli",
        "restaurant",
        false,
        "#26a69a",
        'H',
    ),
];

/// Every chain, in file order.
pub fn all() -> Vec<ChainSpec> {
    CHAINS.to_vec()
}

/// The chain with this id (ids are the constants above).
pub(crate) fn get(id: &str) -> Option<&'static ChainSpec> {
    CHAINS.iter().find(|c| c.id == id)
}

/// `chains.csv` as bytes.
pub(crate) fn to_csv(rows: &[ChainSpec]) -> Vec<u8> {
    super::csv_bytes(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_colours_and_icons_are_distinct_and_valid() {
        let mut ids: Vec<_> = CHAINS.iter().map(|c| c.id).collect();
        let mut icons: Vec<_> = CHAINS.iter().map(|c| c.icon).collect();
        let mut colours: Vec<_> = CHAINS.iter().map(|c| c.colour).collect();
        for v in [&mut ids, &mut colours] {
            v.sort();
            v.dedup();
        }
        icons.sort();
        icons.dedup();
        assert_eq!(ids.len(), CHAINS.len());
        assert_eq!(icons.len(), CHAINS.len());
        assert_eq!(colours.len(), CHAINS.len());
        for c in CHAINS {
            crate::model::ChainId::new(c.id).unwrap();
            c.colour.parse::<crate::model::Rgb>().unwrap();
            c.category.parse::<crate::model::Category>().unwrap();
        }
    }
}
