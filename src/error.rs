//! The crate's error: every module's error, gathered.

/// Any error a storenet library call can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An invalid value for the model.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// Invalid opening hours.
    #[error(transparent)]
    Hours(#[from] crate::model::HoursError),
    /// A coordinate transformation failed.
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
    /// The registry could not be loaded.
    #[error(transparent)]
    Load(#[from] crate::registry::LoadError),
    /// A spatial query was refused.
    #[error(transparent)]
    Query(#[from] crate::spatial::QueryError),
    /// Generating the synthetic data set failed.
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    /// A route (GPX / GeoJSON) or distance could not be read.
    #[error(transparent)]
    Route(#[from] crate::spatial::route::RouteError),
    /// An export failed.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// A ledger write was refused or failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// Household density could not be loaded.
    #[error(transparent)]
    Density(#[from] crate::density::DensityError),
    /// A planning request failed.
    #[error(transparent)]
    Plan(#[from] crate::planning::PlanError),
}
