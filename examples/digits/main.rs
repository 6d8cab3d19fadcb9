//! A small CNN learns to read digits: two conv/pool blocks and a linear head, trained with
//! AdamW, a warm-up cosine schedule and mini-batches of 64 on images this example draws itself
//! (the digits 0-9 from a 5x7 bitmap font, each randomly shifted, scaled, stretched, slanted,
//! rotated, thickened and noised into 28x28 pixels; 10,000 for training and 2,000 held out for testing).
//!
//! `cargo run --release --example digits -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//!
//! Writes to --out (default out/digits): model.npz (the state dict, PyTorch's names and
//! layouts), loss.npy, test_images.npy (f32, N x 28 x 28), test_labels.npy and predictions.npy
//! (i64), confusion.npy (i64, 10 x 10: true class by row, predicted by column) and digits.png
//! (test images with their predicted labels, mistakes in red; the first layer's filters; the
//! loss curve).

#[path = "../common/mod.rs"]
mod common;
mod model;

use common::plot::{self, Area};
use plotters::prelude::*;
use wgrad::data::DataLoader;
use wgrad::nn::{Module, Sequential, save_state_dict};
use wgrad::optim::{AdamW, CosineLr};
use wgrad::{DType, Device, Generator, Tensor, no_grad, npy};

const SIDE: usize = 28;
const TRAIN: usize = 10_000;
const TEST: usize = 2_000;
const BATCH: usize = 64;

/// The digits 0-9 on a 5x7 grid, one string per row, `#` for ink.
const FONT: [[&str; 7]; 10] = [
    [
        " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ",
    ],
    [
        "  #  ", " ##  ", "# #  ", "  #  ", "  #  ", "  #  ", "#####",
    ],
    [
        " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####",
    ],
    [
        "#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### ",
    ],
    [
        "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # ",
    ],
    [
        "#####", "#    ", "#### ", "    #", "    #", "#   #", " ### ",
    ],
    [
        "  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### ",
    ],
    [
        "#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   ",
    ],
    [
        " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ",
    ],
    [
        " ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  ",
    ],
];

/// A digit's strokes: segments between neighbouring ink cells (diagonals where no straight path
/// joins them), in glyph units centred on the glyph.
fn strokes(digit: usize) -> Vec<[(f32, f32); 2]> {
    let ink = |r: isize, c: isize| {
        (0..7).contains(&r)
            && (0..5).contains(&c)
            && FONT[digit][r as usize].as_bytes()[c as usize] == b'#'
    };
    let at = |r: isize, c: isize| (c as f32 - 2.0, r as f32 - 3.0);
    let mut segments = Vec::new();
    for r in 0..7 {
        for c in 0..5 {
            if !ink(r, c) {
                continue;
            }
            segments.push([at(r, c), at(r, c)]);
            for (dr, dc) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
                let diagonal = dr != 0 && dc != 0;
                let bridged = diagonal && (ink(r + dr, c) || ink(r, c + dc));
                if ink(r + dr, c + dc) && !bridged {
                    segments.push([at(r, c), at(r + dr, c + dc)]);
                }
            }
        }
    }
    segments
}

/// The distance from `p` to the segment `s`.
fn distance(p: (f32, f32), s: &[(f32, f32); 2]) -> f32 {
    let (d, e) = (
        (s[1].0 - s[0].0, s[1].1 - s[0].1),
        (p.0 - s[0].0, p.1 - s[0].1),
    );
    let length = d.0 * d.0 + d.1 * d.1;
    let t = if length > 0.0 {
        ((e.0 * d.0 + e.1 * d.1) / length).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((e.0 - t * d.0).powi(2) + (e.1 - t * d.1).powi(2)).sqrt()
}

/// `count` images (`[count, 1, 28, 28]`, ink near 1 on 0) and their labels, from `seed`.
fn digits(count: usize, seed: u64) -> wgrad::Result<(Tensor, Tensor)> {
    let glyphs: Vec<_> = (0..10).map(strokes).collect();
    let mut g = Generator::new(seed);
    let cpu = Device::cpu();
    let labels = Tensor::rand(&[count], DType::F64, g.next_seed(), &cpu)?.to_ndarray::<f64>()?;
    let shape = Tensor::rand(&[count, 7], DType::F64, g.next_seed(), &cpu)?.to_ndarray::<f64>()?;
    let noise = Tensor::randn(&[count, SIDE * SIDE], DType::F32, g.next_seed(), &cpu)?
        .to_ndarray::<f32>()?;
    let mut pixels = Vec::with_capacity(count * SIDE * SIDE);
    let mut classes = Vec::with_capacity(count);
    for i in 0..count {
        let digit = ((labels[i] * 10.0) as usize).min(9);
        let u = |k: usize| shape[[i, k]] as f32 * 2.0 - 1.0; // in [-1, 1)
        let scale = 2.9 * (1.0 + 0.25 * u(0)); // pixels per glyph unit
        let aspect = 1.0 + 0.2 * u(5); // wider or narrower
        let slant = 0.3 * u(6); // italic shear
        let (sin, cos) = (0.35 * u(1)).sin_cos(); // up to 20 degrees
        let shift = (3.5 * u(2), 3.5 * u(3));
        let width = 0.3 + 0.2 * (u(4) + 1.0); // stroke half-width in glyph units
        for y in 0..SIDE {
            for x in 0..SIDE {
                // The pixel centre, mapped back into glyph units.
                let px = x as f32 + 0.5 - SIDE as f32 / 2.0 - shift.0;
                let py = y as f32 + 0.5 - SIDE as f32 / 2.0 - shift.1;
                let (gx, gy) = (
                    (cos * px + sin * py) / scale,
                    (-sin * px + cos * py) / scale,
                );
                let p = (gx / aspect - slant * gy, gy);
                let near = glyphs[digit]
                    .iter()
                    .map(|s| distance(p, s))
                    .fold(f32::MAX, f32::min);
                let ink = (1.0 - (near - width) * scale / 1.5).clamp(0.0, 1.0);
                pixels.push(ink + 0.3 * noise[[i, y * SIDE + x]]);
            }
        }
        classes.push(digit as i64);
    }
    Ok((
        Tensor::from_vec(pixels, &[count, 1, SIDE, SIDE], &cpu)?,
        Tensor::from_vec(classes, &[count], &cpu)?,
    ))
}

/// The predicted class of every image, evaluated in batches.
fn predict(model: &Sequential, images: &Tensor) -> wgrad::Result<Tensor> {
    let loader = DataLoader::new(&[images], 500)?;
    let mut predicted = Vec::new();
    for batch in loader.batches(0)? {
        predicted.push(no_grad(|| model.forward(&batch?[0]))?.argmax(1, false)?);
    }
    Tensor::cat(&predicted.iter().collect::<Vec<_>>(), 0)
}

fn main() -> wgrad::Result<()> {
    let args = common::Args::parse("digits", 1500);
    let dev = &args.device;
    println!(
        "digits: CNN conv8-pool-conv16-pool-linear, AdamW + cosine schedule, batch {BATCH}, {} \
         steps on {dev}",
        args.steps
    );
    let (train_x, train_y) = digits(TRAIN, args.seed)?;
    let (test_x, test_y) = digits(TEST, args.seed ^ 0x7E57)?;
    let model = model::cnn(dev)?;
    println!("{model:?}");
    let loader = DataLoader::new(&[&train_x.to(dev)?, &train_y.to(dev)?], BATCH)?
        .shuffle(args.seed)
        .drop_last(true);
    let mut batches = common::endless(&loader);
    let mut optimizer = AdamW::new(model.parameters(), 3e-3);
    let schedule = CosineLr {
        base: 3e-3,
        min: 1e-4,
        warmup: 50,
        total: args.steps,
    };
    let extras = common::Extras {
        schedule: Some(&schedule),
        clip: None,
    };
    let (loss_curve, rate) = common::train(
        args.steps,
        &mut optimizer,
        extras,
        |_| {
            let batch = batches.next().expect("batches never end")?;
            model.forward(&batch[0])?.cross_entropy(&batch[1])
        },
        None,
    )?;

    model.eval();
    let predictions = predict(&model, &test_x.to(dev)?)?.to(&Device::cpu())?;
    let correct = predictions
        .eq(&test_y)?
        .to_dtype(DType::I64)?
        .sum()?
        .item::<i64>()?;
    let accuracy = 100.0 * correct as f64 / TEST as f64;
    let confusion = test_y
        .mul_scalar(10.0)?
        .add(&predictions)?
        .one_hot(100)?
        .to_dtype(DType::I64)?
        .sum_axis(0, false)?
        .reshape(&[10, 10])?;
    save_state_dict(args.out.join("model.npz"), &model)?;
    npy::save(args.out.join("loss.npy"), &loss_curve)?;
    npy::save(
        args.out.join("test_images.npy"),
        &test_x.reshape(&[TEST, SIDE, SIDE])?,
    )?;
    npy::save(args.out.join("test_labels.npy"), &test_y)?;
    npy::save(args.out.join("predictions.npy"), &predictions)?;
    npy::save(args.out.join("confusion.npy"), &confusion)?;
    let drawn = plot::picture(&args.out.join("digits.png"), (1200, 700), |root| {
        draw(root, &model, &test_x, &test_y, &predictions, &loss_curve)
    })?;
    println!(
        "final: loss {:.4}, {rate:.1} steps/s on {dev}; wrote model.npz, loss.npy, \
         test_images.npy, test_labels.npy, predictions.npy, confusion.npy{} to {}; test accuracy \
         {accuracy:.1}%",
        loss_curve.narrow(0, args.steps - 1, 1)?.item::<f32>()?,
        if drawn { ", digits.png" } else { "" },
        args.out.display()
    );
    Ok(())
}

/// Left: the first 48 test images with their predicted labels, mistakes framed in red with the
/// true label. Top right: the first layer's eight 3x3 filters. Bottom right: the loss curve.
fn draw(
    root: &Area,
    model: &Sequential,
    images: &Tensor,
    labels: &Tensor,
    predictions: &Tensor,
    losses: &Tensor,
) -> Result<(), String> {
    let fail = |e: wgrad::Error| e.to_string();
    let (left, right) = root.split_horizontally(640);
    let left = left
        .titled(
            "test images, predicted label (red: wrong, true label in brackets)",
            ("sans-serif", 18),
        )
        .map_err(|e| e.to_string())?;
    let pixels = images.to_ndarray::<f32>().map_err(fail)?;
    let labels = labels.to_ndarray::<i64>().map_err(fail)?;
    let predicted = predictions.to_ndarray::<i64>().map_err(fail)?;
    for (k, cell) in left.split_evenly((6, 8)).iter().enumerate() {
        let wrong = predicted[k] != labels[k];
        let caption = if wrong {
            format!("{} ({})", predicted[k], labels[k])
        } else {
            predicted[k].to_string()
        };
        let color = if wrong { RED } else { BLACK };
        tile(cell, &|y, x| pixels[[k, 0, y, x]], SIDE, 2, 0.0..1.0)?;
        cell.draw(&Text::new(
            caption,
            (4, 62),
            ("sans-serif", 16).into_font().color(&color),
        ))
        .map_err(|e| e.to_string())?;
        if wrong {
            cell.draw(&Rectangle::new([(0, 0), (58, 58)], RED.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
    }
    let (filters_area, loss_area) = right.split_vertically(260);
    let filters_area = filters_area
        .titled("first layer's 3x3 filters", ("sans-serif", 18))
        .map_err(|e| e.to_string())?;
    let weight = model.named_parameters()[0]
        .1
        .get()
        .detach()
        .to_ndarray::<f32>()
        .map_err(fail)?;
    let bound = weight.iter().fold(0f32, |m, w| m.max(w.abs()));
    for (f, cell) in filters_area.split_evenly((2, 4)).iter().enumerate() {
        tile(cell, &|y, x| weight[[f, 0, y, x]], 3, 24, -bound..bound)?;
    }
    let losses = losses.to_ndarray::<f32>().map_err(fail)?;
    plot::loss_curve(
        &loss_area,
        losses.as_slice().unwrap_or_default(),
        "training loss",
    )
}

/// A `side x side` grey image scaled by `zoom`, values in `range` from black to white.
fn tile(
    area: &Area,
    value: &dyn Fn(usize, usize) -> f32,
    side: usize,
    zoom: i32,
    range: std::ops::Range<f32>,
) -> Result<(), String> {
    for y in 0..side {
        for x in 0..side {
            let v = ((value(y, x) - range.start) / (range.end - range.start)).clamp(0.0, 1.0);
            let grey = (255.0 * (1.0 - v)) as u8;
            let corner = (x as i32 * zoom + 2, y as i32 * zoom + 2);
            area.draw(&Rectangle::new(
                [corner, (corner.0 + zoom, corner.1 + zoom)],
                RGBColor(grey, grey, grey).filled(),
            ))
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
