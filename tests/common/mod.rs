//! Shared by every test that runs the `retrofit` binary.

use std::process::Command;

/// The `retrofit` binary, set to run from the crate root (where `worlds/` and
/// `tests/data/` are; a test may point it elsewhere with `current_dir`). Backtrace
/// variables are cleared so that what a user would see is what the test sees.
pub fn retrofit() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retrofit"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    c
}
