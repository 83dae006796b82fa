//! One module per subcommand.

pub mod bench;
pub mod catalog;
pub mod fixtures;
pub mod requirements;
pub mod serve;
