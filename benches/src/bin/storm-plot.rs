//! `storm-plot`: draws the side-by-side benchmark's timelines as one SVG.
//!
//! Each `HUB:N=PATH` argument is a timeline CSV written by `spawn-storm --timeline` for one
//! hub at one storm size. The figure has one panel per N (increasing, left to right), one
//! step line per hub, the chosen count as a percentage of N against seconds since the
//! storm began. The parsing and drawing live in `batchhub_benches::plot`; this only reads
//! the files and writes the result.
//!
//! ```text
//! storm-plot --out plot.svg --title "Spawn storm" \
//!     batchhub:200=/tmp/x/batchhub-200.csv JupyterHub:200=/tmp/x/jupyterhub-200.csv
//! ```

use std::path::PathBuf;

use anyhow::Context;
use batchhub_benches::plot::{self, Column, Series, SeriesSpec};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "storm-plot")]
struct Args {
    /// Where to write the SVG.
    #[arg(long)]
    out: PathBuf,
    /// The figure's title; by default it names the plotted count.
    #[arg(long)]
    title: Option<String>,
    /// Which count to plot as a percentage of N.
    #[arg(long, value_enum, default_value_t = Column::Routed)]
    column: Column,
    /// Timelines as `HUB:N=PATH`, e.g. `batchhub:200=/tmp/x/batchhub-200.csv`. Hubs get
    /// their colours in the order they first appear.
    #[arg(required = true)]
    series: Vec<SeriesSpec>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let series = args
        .series
        .iter()
        .map(read_series)
        .collect::<anyhow::Result<Vec<Series>>>()?;
    let title = args
        .title
        .unwrap_or_else(|| format!("Servers {} over time", args.column.word()));
    let svg = plot::render_svg(&title, args.column, &series);
    std::fs::write(&args.out, svg).with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}

/// Reads and parses one timeline; errors name the file (and, from the parser, the line).
fn read_series(spec: &SeriesSpec) -> anyhow::Result<Series> {
    let path = &spec.path;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let samples =
        plot::parse_timeline(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Series {
        hub: spec.hub.clone(),
        n: spec.n,
        samples,
    })
}
