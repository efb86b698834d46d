//! The page and its assets, all compiled in: the server reads no file at run time, and
//! a name not in [`asset`]'s table is a 404 (no path is ever joined to a folder).

use minijinja::Environment;

const INDEX: &str = include_str!("../../assets/web/index.html");

/// The page, with the world's name escaped as text.
pub fn index(world_name: &str) -> Result<String, String> {
    let mut env = Environment::new();
    env.add_template("index.html", INDEX)
        .map_err(|e| e.to_string())?;
    env.get_template("index.html")
        .and_then(|t| t.render(minijinja::context! { name => world_name }))
        .map_err(|e| e.to_string())
}

/// An asset by its exact name: (content type, bytes).
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "app.js" => (
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/web/app.js"),
        ),
        "style.css" => (
            "text/css; charset=utf-8",
            include_bytes!("../../assets/web/style.css"),
        ),
        "DejaVuSans.ttf" => ("font/ttf", crate::report::fonts::FONT_REGULAR),
        "DejaVuSans-Bold.ttf" => ("font/ttf", crate::report::fonts::FONT_BOLD),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_world_name_is_escaped_on_the_page() {
        let html = super::index("<script>alert(1)</script>").unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_listed_assets_exist() {
        assert!(super::asset("app.js").is_some());
        for bad in ["../Cargo.toml", "", "index.html", "app.js/"] {
            assert!(super::asset(bad).is_none(), "{bad}");
        }
    }
}
