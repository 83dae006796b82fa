//! One module per subcommand.

pub mod bench;
pub mod catalog;
pub mod compare;
pub mod demo;
pub mod fixtures;
pub mod report;
pub mod requirements;
pub mod run;
pub mod serve;
