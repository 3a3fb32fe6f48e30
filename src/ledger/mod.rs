//! The shared loyalty ledger: households, cards, purchases, points, offers; SQLite and PostgreSQL.
