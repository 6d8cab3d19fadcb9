//! Random sampling: the laws the samples follow, their reproducibility, and the same numbers
//! on both devices from one seed.

mod common;

use common::{cpu, gpu_or_skip, values};
use wgrad::{DType, Tensor};

/// How often each of `k` categories appears in `samples`.
fn frequencies(samples: &[f64], k: usize) -> Vec<f64> {
    let mut counts = vec![0.0; k];
    samples.iter().for_each(|&s| counts[s as usize] += 1.0);
    counts.iter().map(|c| c / samples.len() as f64).collect()
}

#[test]
fn multinomial_draws_in_proportion_to_the_weights() {
    let weights = Tensor::from_vec(vec![1.0f32, 0.0, 3.0, 6.0], &[4], &cpu()).unwrap();
    let drawn = weights.multinomial(20_000, true, 1).unwrap();
    assert_eq!((drawn.shape(), drawn.dtype()), (&[20_000][..], DType::I64));
    let f = frequencies(&values(&drawn), 4);
    for (got, expected) in f.iter().zip([0.1, 0.0, 0.3, 0.6]) {
        assert!((got - expected).abs() < 0.015, "{f:?}");
    }
    assert_eq!(
        values(&drawn),
        values(&weights.multinomial(20_000, true, 1).unwrap())
    );
    assert_ne!(
        values(&drawn),
        values(&weights.multinomial(20_000, true, 2).unwrap())
    );

    // Without replacement: distinct categories per row, the first one drawn by weight.
    let rows = weights.unsqueeze(0).unwrap().expand(&[5000, 4]).unwrap();
    let drawn = values(&rows.multinomial(3, false, 3).unwrap());
    let mut firsts = Vec::new();
    for row in drawn.chunks(3) {
        assert!(
            row[0] != row[1] && row[1] != row[2] && row[0] != row[2],
            "{row:?}"
        );
        assert!(
            !row.contains(&1.0),
            "a zero weight is drawn only when nothing else is left"
        );
        firsts.push(row[0]);
    }
    let f = frequencies(&firsts, 4);
    for (got, expected) in f.iter().zip([0.1, 0.0, 0.3, 0.6]) {
        assert!((got - expected).abs() < 0.025, "{f:?}");
    }
    assert!(weights.multinomial(5, false, 0).is_err());
    assert!(
        Tensor::zeros(&[2, 2, 2], DType::F32, &cpu())
            .unwrap()
            .multinomial(1, true, 0)
            .is_err()
    );
}

#[test]
fn bernoulli_and_randperm_follow_their_definitions() {
    let p = Tensor::rand(&[50_000], DType::F32, 4, &cpu()).unwrap();
    let b = p.bernoulli(5).unwrap();
    assert_eq!(b.dtype(), DType::F32);
    let (pv, bv) = (values(&p), values(&b));
    assert!(bv.iter().all(|&v| v == 0.0 || v == 1.0));
    // Ones are as frequent as the mean probability, and more frequent where p is large.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!((mean(&bv) - mean(&pv)).abs() < 0.01);
    let high: Vec<f64> = pv
        .iter()
        .zip(&bv)
        .filter(|(p, _)| **p > 0.9)
        .map(|(_, b)| *b)
        .collect();
    assert!(mean(&high) > 0.9, "{}", mean(&high));
    let perm = values(&Tensor::randperm(1000, 6, &cpu()).unwrap());
    let mut sorted = perm.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted, (0..1000).map(f64::from).collect::<Vec<_>>());
    assert_ne!(perm, sorted);
}

#[test]
fn one_seed_gives_the_same_samples_on_both_devices() {
    let Some(gpu) = gpu_or_skip() else { return };
    let weights = Tensor::rand(&[8, 5], DType::F32, 7, &cpu()).unwrap();
    let on_gpu = weights.to(&gpu).unwrap();
    for replacement in [true, false] {
        let (a, b) = (
            weights.multinomial(4, replacement, 8).unwrap(),
            on_gpu.multinomial(4, replacement, 8).unwrap(),
        );
        assert!(b.device() == gpu);
        assert_eq!(values(&a), values(&b), "replacement {replacement}");
    }
    assert_eq!(
        values(&weights.bernoulli(9).unwrap()),
        values(&on_gpu.bernoulli(9).unwrap())
    );
    let x = Tensor::randn(&[6, 7], DType::F32, 10, &cpu()).unwrap();
    assert_eq!(
        values(&x.dropout(0.3, 11).unwrap()),
        values(&x.to(&gpu).unwrap().dropout(0.3, 11).unwrap())
    );
    assert_eq!(
        values(&Tensor::randperm(50, 12, &cpu()).unwrap()),
        values(&Tensor::randperm(50, 12, &gpu).unwrap())
    );
}
