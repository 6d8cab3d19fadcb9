//! A character-level decoder-only transformer learns two-digit addition: token and position
//! embeddings, two pre-norm blocks of causal multi-head self-attention and a GELU MLP, a final
//! LayerNorm and a linear head, trained with AdamW, a warm-up cosine schedule, gradient clipping
//! and a shuffled DataLoader. Each problem reads `ab+cd=` and the answer is written with its
//! digits reversed, ones first, as a carry propagates (`23+58=` then `180` for 81): that is the
//! order in which a left-to-right model can compute it. 1,000 of the 10,000 problems are held
//! out and answered by greedy decoding.
//!
//! `cargo run --release --example tiny_gpt -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//!
//! Writes to --out (default out/tiny_gpt): model.npz (the state dict), loss.npy,
//! test_prompts.npy (i64 token ids, N x 6), predictions.npy (i64, N x 3: the decoded answer
//! tokens), attention.npy (f32, [layers, heads, T, T]: the attention of every head for the
//! first held-out problem, answer included) and tiny_gpt.png (those attention maps, and the loss
//! curve).

#[path = "../common/mod.rs"]
mod common;
mod model;

use common::plot::{self, Area};
use model::{ANSWER, CONTEXT, DIM, Gpt, HEADS, LAYERS, PROMPT, VOCAB};
use plotters::prelude::*;
use wgrad::data::DataLoader;
use wgrad::nn::{Module, save_state_dict};
use wgrad::optim::{AdamW, CosineLr};
use wgrad::{CrossEntropyOptions, DType, Device, Tensor, no_grad, npy};

const HELD_OUT: usize = 1000;
const BATCH: usize = 64;

/// Every problem `a+b=` with its reversed answer as token ids (`[10000, 9]`), held-out ones
/// last, in an order fixed by `seed`.
fn problems(seed: u64) -> wgrad::Result<Tensor> {
    let order = Tensor::randperm(10_000, seed, &Device::cpu())?.to_ndarray::<i64>()?;
    let digit = |n: usize, place: u32| (n / 10usize.pow(place) % 10) as i64;
    let mut ids = Vec::with_capacity(10_000 * (PROMPT + ANSWER));
    for &k in &order {
        let (a, b) = (k as usize / 100, k as usize % 100);
        ids.extend([digit(a, 1), digit(a, 0), 10, digit(b, 1), digit(b, 0), 11]);
        ids.extend((0..ANSWER as u32).map(|place| digit(a + b, place)));
    }
    Tensor::from_vec(ids, &[10_000, PROMPT + ANSWER], &Device::cpu())
}

/// The text of a row of token ids.
fn text(ids: &[i64]) -> String {
    ids.iter().map(|&i| VOCAB[i as usize]).collect()
}

fn main() -> wgrad::Result<()> {
    let args = common::Args::parse("tiny_gpt", 1500);
    let dev = &args.device;
    println!(
        "tiny_gpt: {LAYERS}-layer transformer (dim {DIM}, {HEADS} heads) learns a+b=, AdamW + \
         cosine schedule + clipping, batch {BATCH}, {} steps on {dev}",
        args.steps
    );
    let all = problems(args.seed)?.to(dev)?;
    let train_rows = all.narrow(0, 0, 10_000 - HELD_OUT)?;
    let test_rows = all.narrow(0, 10_000 - HELD_OUT, HELD_OUT)?;
    // Inputs are the first 8 tokens; targets the next token, scored on the answer only.
    let inputs = train_rows.narrow(1, 0, CONTEXT)?;
    let ignore = Tensor::full(&[10_000 - HELD_OUT, PROMPT - 1], -100.0, DType::I64, dev)?;
    let targets = Tensor::cat(&[&ignore, &train_rows.narrow(1, PROMPT, ANSWER)?], 1)?;
    let model = Gpt::new(dev)?;
    let parameters = model.parameters();
    let loader = DataLoader::new(&[&inputs, &targets], BATCH)?
        .shuffle(args.seed)
        .drop_last(true);
    let mut batches = common::endless(&loader);
    let mut optimizer = AdamW::new(parameters.clone(), 3e-3);
    let schedule = CosineLr {
        base: 3e-3,
        min: 1e-4,
        warmup: 100,
        total: args.steps,
    };
    let extras = common::Extras {
        schedule: Some(&schedule),
        clip: Some((&parameters, 1.0)),
    };
    let options = CrossEntropyOptions {
        ignore_index: Some(-100),
        ..Default::default()
    };
    let (loss_curve, rate) = common::train(
        args.steps,
        &mut optimizer,
        extras,
        |_| {
            let batch = batches.next().expect("batches never end")?;
            let logits = model
                .forward(&batch[0])?
                .reshape(&[BATCH * CONTEXT, VOCAB.len()])?;
            logits.cross_entropy_with(&batch[1].reshape(&[BATCH * CONTEXT])?, &options)
        },
        None,
    )?;

    model.eval();
    let prompts = test_rows.narrow(1, 0, PROMPT)?;
    let predictions = model.answer(&prompts)?;
    let exact = predictions
        .eq(&test_rows.narrow(1, PROMPT, ANSWER)?)?
        .to_dtype(DType::I64)?
        .sum_axis(1, false)?
        .eq_scalar(ANSWER as f64)?
        .to_dtype(DType::I64)?
        .sum()?
        .item::<i64>()?;
    let accuracy = 100.0 * exact as f64 / HELD_OUT as f64;
    let first = test_rows.narrow(0, 0, 1)?.narrow(1, 0, CONTEXT)?;
    let (_, maps) = no_grad(|| model.run(&first))?;
    let attention = Tensor::cat(&maps.iter().collect::<Vec<_>>(), 0)?;
    let (prompts, predictions) = (prompts.to(&Device::cpu())?, predictions.to(&Device::cpu())?);
    save_state_dict(args.out.join("model.npz"), &model)?;
    npy::save(args.out.join("loss.npy"), &loss_curve)?;
    npy::save(args.out.join("test_prompts.npy"), &prompts)?;
    npy::save(args.out.join("predictions.npy"), &predictions)?;
    npy::save(args.out.join("attention.npy"), &attention)?;
    let tokens = first.to_ndarray::<i64>()?;
    let labels: Vec<char> = tokens.iter().map(|&i| VOCAB[i as usize]).collect();
    let drawn = plot::picture(&args.out.join("tiny_gpt.png"), (1200, 720), |root| {
        draw(root, &attention, &labels, &loss_curve)
    })?;
    let (p, a) = (
        prompts.to_ndarray::<i64>()?,
        predictions.to_ndarray::<i64>()?,
    );
    for row in 0..3 {
        let row = |t: &ndarray::ArrayD<i64>| {
            t.index_axis(ndarray::Axis(0), row)
                .iter()
                .copied()
                .collect::<Vec<i64>>()
        };
        let (prompt, answer) = (row(&p), row(&a));
        let reversed: String = text(&answer).chars().rev().collect();
        println!("  {}{}  (answer {reversed})", text(&prompt), text(&answer));
    }
    println!(
        "final: loss {:.4}, {rate:.1} steps/s on {dev}; wrote model.npz, loss.npy, \
         test_prompts.npy, predictions.npy, attention.npy{} to {}; held-out exact match \
         {accuracy:.1}%",
        loss_curve.narrow(0, args.steps - 1, 1)?.item::<f32>()?,
        if drawn { ", tiny_gpt.png" } else { "" },
        args.out.display()
    );
    Ok(())
}

/// Top: each head's attention over the first held-out problem (row: the position attending,
/// column: the position attended to; darker is more). Bottom: the loss curve.
fn draw(root: &Area, attention: &Tensor, tokens: &[char], losses: &Tensor) -> Result<(), String> {
    let fail = |e: wgrad::Error| e.to_string();
    let (maps_area, loss_area) = root.split_vertically(430);
    let maps_area = maps_area
        .titled(
            "attention of each layer and head (row attends to column) for the first held-out problem",
            ("sans-serif", 18),
        )
        .map_err(|e| e.to_string())?;
    let weights = attention.to_ndarray::<f32>().map_err(fail)?;
    let label = |v: &usize| tokens.get(*v).map(char::to_string).unwrap_or_default();
    for (k, cell) in maps_area.split_evenly((LAYERS, HEADS)).iter().enumerate() {
        let (layer, head) = (k / HEADS, k % HEADS);
        let mut chart = ChartBuilder::on(cell)
            .caption(format!("layer {layer}, head {head}"), ("sans-serif", 14))
            .margin(4)
            .x_label_area_size(18)
            .y_label_area_size(18)
            .build_cartesian_2d(
                (0..CONTEXT - 1).into_segmented(),
                (0..CONTEXT - 1).into_segmented(),
            )
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(CONTEXT)
            .y_labels(CONTEXT)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(v) => label(v),
                _ => String::new(),
            })
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(v) => label(&(CONTEXT - 1 - v)),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series((0..CONTEXT).flat_map(|row| {
                let weights = &weights;
                (0..CONTEXT).map(move |col| {
                    let w = weights[[layer, head, row, col]];
                    let shade = (255.0 * (1.0 - w)) as u8;
                    let y = CONTEXT - 1 - row;
                    Rectangle::new(
                        [
                            (SegmentValue::Exact(col), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(col + 1), SegmentValue::Exact(y + 1)),
                        ],
                        RGBColor(shade, shade, 255).filled(),
                    )
                })
            }))
            .map_err(|e| e.to_string())?;
    }
    let losses = losses.to_ndarray::<f32>().map_err(fail)?;
    plot::loss_curve(
        &loss_area,
        losses.as_slice().unwrap_or_default(),
        "training loss (answer tokens)",
    )
}
