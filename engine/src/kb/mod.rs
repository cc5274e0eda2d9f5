//! The knowledge base: file kinds and schemas, loading, the raw and compiled types.

pub mod compile;
pub mod load;
pub mod model;
pub mod raw;
pub mod schema;

pub use compile::load_kb;
pub use load::{KbFile, KbSource};
pub use model::{EntryKind, Kb};
