//! The bundled DejaVu Sans font, registered with plotters so charts render the same on a
//! machine with no fonts installed.

use anyhow::{Result, anyhow};
use plotters::style::FontStyle;
use std::sync::OnceLock;

pub(crate) const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(crate) const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The bundled font's own family name.
pub(crate) const FONT_NAME: &str = "DejaVu Sans";

/// The family every chart draws its text in (plotters' name for the registered font).
pub(crate) const FAMILY: &str = "sans-serif";

static FONTS: OnceLock<bool> = OnceLock::new();

/// Registers the bundled font as [`FAMILY`] (regular and bold). Idempotent; every chart
/// is drawn through [`super::frame`], which calls it, so callers need not.
pub(crate) fn register() -> Result<()> {
    let ok = *FONTS.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_REGULAR).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, FONT_BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the bundled DejaVu Sans font could not be loaded"))
    }
}
