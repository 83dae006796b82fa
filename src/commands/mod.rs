//! One module per subcommand.

pub mod bench;
pub mod catalog;
pub mod demo;
pub mod fixtures;
pub mod requirements;
pub mod run;
pub mod serve;
