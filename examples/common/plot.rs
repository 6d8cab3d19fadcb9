//! What the examples' pictures share: a font for their text, and a loss curve with axes.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// A region of a PNG being drawn.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Where a TrueType font for titles and ticks is looked for, after `WGRAD_FONT`.
const FONTS: [&str; 5] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers a font as "sans-serif" for every plot, once; an error that says how to get one
/// when none is found (the example then skips its picture, not its exports).
pub fn fonts() -> Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let chosen = std::env::var("WGRAD_FONT").ok();
            let candidates = chosen.iter().map(String::as_str).chain(FONTS);
            for path in candidates {
                if let Ok(bytes) = std::fs::read(path) {
                    // plotters keeps fonts for the whole run: the bytes live as long.
                    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                    if register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                        return Ok(());
                    }
                }
            }
            Err(
                "no TrueType font for the picture's text: install fonts-dejavu-core, or point \
                 WGRAD_FONT at a .ttf file"
                    .to_string(),
            )
        })
        .clone()
}

/// The error a failed drawing becomes.
pub fn failed(path: &Path) -> impl Fn(String) -> wgrad::Error + '_ {
    move |e| wgrad::Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// Draws a picture with `draw` into `path` (`width` x `height` pixels), or prints why not when
/// no font can be had. Returns whether the picture was written.
pub fn picture(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(&Area) -> Result<(), String>,
) -> wgrad::Result<bool> {
    if let Err(reason) = fonts() {
        eprintln!("skipping {}: {reason}", path.display());
        return Ok(false);
    }
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| failed(path)(e.to_string()))?;
    draw(&root).map_err(failed(path))?;
    root.present().map_err(|e| failed(path)(e.to_string()))?;
    Ok(true)
}

/// The loss per step on a log scale (ticks at evenly spaced logarithms), with a title, axis
/// labels and ticks.
pub fn loss_curve(area: &Area, losses: &[f32], title: &str) -> Result<(), String> {
    let logs: Vec<f32> = losses.iter().map(|l| l.max(1e-8).log10()).collect();
    let (low, high) = logs
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &l| (lo.min(l), hi.max(l)));
    let pad = ((high - low) * 0.05).max(0.05);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f32..logs.len().max(2) as f32, low - pad..high + pad)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss (log scale)")
        .x_labels(6)
        .y_labels(8)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{:.2e}", 10f32.powf(*v)))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            logs.iter().enumerate().map(|(i, &l)| (i as f32, l)),
            BLUE.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?;
    Ok(())
}
