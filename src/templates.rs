//! Starter worlds for `retrofit init`: the shipped worlds and a blank one, embedded in
//! the binary so `init` works from any folder.

/// Template names and their text.
pub const TEMPLATES: [(&str, &str); 5] = [
    ("teaching", include_str!("../worlds/teaching.ron")),
    ("reference", include_str!("../worlds/reference.ron")),
    ("keep-mining", include_str!("../worlds/keep-mining.ron")),
    ("full-pivot", include_str!("../worlds/full-pivot.ron")),
    ("blank", include_str!("../assets/templates/blank.ron")),
];

/// The text of template `name`.
pub fn template(name: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Names of all templates, for help and error messages.
pub fn names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_is_a_valid_world() {
        for (name, text) in super::TEMPLATES {
            if let Err(e) = crate::load_str(text, name) {
                panic!("template {name} is invalid: {e}");
            }
        }
    }
}
