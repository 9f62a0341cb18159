//! Colours: the Okabe–Ito palette, distinguishable with the common colour-vision
//! deficiencies and readable on a white page. Where colour carries meaning a legend or a
//! text label says it too.

/// Okabe–Ito orange.
pub(crate) const ORANGE: &str = "#E69F00";
/// Okabe–Ito sky blue.
pub(crate) const SKY_BLUE: &str = "#56B4E9";
/// Okabe–Ito bluish green.
pub(crate) const GREEN: &str = "#009E73";
/// Okabe–Ito yellow.
pub(crate) const YELLOW: &str = "#F0E442";
/// Okabe–Ito blue.
pub(crate) const BLUE: &str = "#0072B2";
/// Okabe–Ito vermillion.
pub(crate) const VERMILLION: &str = "#D55E00";
/// Okabe–Ito reddish purple.
pub(crate) const PURPLE: &str = "#CC79A7";
/// Okabe–Ito black, softened a little for lines on white.
pub(crate) const BLACK: &str = "#222222";
/// A neutral grey for "nothing is happening yet" (a server waiting for a slot).
pub(crate) const GREY: &str = "#999999";
/// A light grey for "no server" (stopped): the background of a timeline, so the phases
/// that matter stand out.
pub(crate) const LIGHT_GREY: &str = "#D4D4D4";
/// For a phase the palette does not know: dark, so a runner's new phase name is noticed.
pub(crate) const OTHER: &str = BLACK;

/// Colours in the order they are handed out to categories with no fixed colour (fault
/// kinds): the strong ones first.
pub(crate) const CYCLE: [&str; 8] = [
    VERMILLION, BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, YELLOW, BLACK,
];

/// The spawner phases a user timeline shows, in the order a server goes through them,
/// each with its colour.
pub(crate) const PHASES: [(&str, &str); 8] = [
    ("waiting", GREY),
    ("submitting", YELLOW),
    ("queued", ORANGE),
    ("starting", SKY_BLUE),
    ("running", GREEN),
    ("stopping", PURPLE),
    ("failed", VERMILLION),
    ("stopped", LIGHT_GREY),
];

/// The colour of a spawner phase by its name; [`OTHER`] for a name not in [`PHASES`].
pub(crate) fn phase_colour(phase: &str) -> &'static str {
    PHASES
        .iter()
        .find(|(name, _)| *name == phase)
        .map_or(OTHER, |(_, colour)| colour)
}
