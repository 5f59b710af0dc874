//! Scenario 9 of the seeds: the traffic light, asserted.
//!
//! Runs the `traffic_light` example itself on tokio's paused clock with the
//! seed's timing (a tick is one second: green 10 s, yellow 3 s, red 7 s) and
//! reads the camera's log: the light's colours came in order and on time, no
//! car moved on red, every car moved in every green and yellow, every car
//! stopped to wait at every red and went again when the light turned green.

#[allow(dead_code)]
#[path = "../examples/traffic_light.rs"]
mod traffic_light;

use std::time::Duration;

use actor::prelude::*;
use traffic_light::{Colour, Config, Happening, CYCLE_TICKS, GREEN_TICKS, RED_TICKS, YELLOW_TICKS};

const TICK: Duration = Duration::from_secs(1);
const CYCLES: u32 = 3;
const CARS: usize = 3;

/// Runs the example; an hour of paused time is far more than its 60 ticks,
/// so a scenario stuck for ever fails instead of hanging.
async fn run() -> traffic_light::Report {
    let scenario = traffic_light::run(Config {
        tick: TICK,
        cycles: CYCLES,
        cars: CARS,
    });
    tokio::time::timeout(Duration::from_secs(3600), scenario)
        .await
        .expect("the scenario ends")
        .expect("the scenario runs")
}

#[tokio::test(start_paused = true)]
async fn the_light_cycles_green_yellow_red_on_the_seeds_timing() {
    let report = run().await;
    assert_eq!(report.light, StopReason::Normal);
    let lights: Vec<(Colour, u32, Duration)> = report
        .log
        .iter()
        .filter_map(|h| match h {
            Happening::Light { colour, cycle, at } => Some((*colour, *cycle, *at)),
            _ => None,
        })
        .collect();
    let mut expected = Vec::new();
    for cycle in 0..CYCLES {
        let start = CYCLE_TICKS * cycle;
        expected.push((Colour::Green, cycle, TICK * start));
        expected.push((Colour::Yellow, cycle, TICK * (start + GREEN_TICKS)));
        expected.push((
            Colour::Red,
            cycle,
            TICK * (start + GREEN_TICKS + YELLOW_TICKS),
        ));
    }
    expected.push((Colour::Green, CYCLES, TICK * (CYCLE_TICKS * CYCLES)));
    assert_eq!(lights, expected);
    assert_eq!(GREEN_TICKS + YELLOW_TICKS + RED_TICKS, 20);
}

#[tokio::test(start_paused = true)]
async fn no_car_moves_on_red_and_every_car_moves_in_every_green_and_yellow() {
    let report = run().await;
    let moves = |car: usize, cycle: u32, colour: Colour| {
        report
            .log
            .iter()
            .filter(|h| matches!(h, Happening::Moved { car: c, cycle: y, colour: k, .. } if *c == car && *y == cycle && *k == colour))
            .count()
    };
    let on_red: Vec<&Happening> = report
        .log
        .iter()
        .filter(|h| {
            matches!(
                h,
                Happening::Moved {
                    colour: Colour::Red,
                    ..
                }
            )
        })
        .collect();
    assert!(on_red.is_empty(), "cars moved on red: {on_red:?}");

    for car in 0..CARS {
        for cycle in 0..CYCLES {
            // A car moves on every half tick of green: 0.5 .. 9.5, plus, after
            // the first cycle, the moment the light turns green, when it
            // stops waiting.
            let green = GREEN_TICKS as usize + usize::from(cycle > 0);
            assert_eq!(
                moves(car, cycle, Colour::Green),
                green,
                "car {car}, green {cycle}"
            );
            // And on yellow (the seed keeps the event set): 10.5, 11.5, 12.5.
            assert_eq!(
                moves(car, cycle, Colour::Yellow),
                YELLOW_TICKS as usize,
                "car {car}, yellow {cycle}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_car_waits_at_every_red_and_goes_when_the_light_turns_green() {
    let report = run().await;
    for car in 0..CARS {
        let mine: Vec<&Happening> = report
            .log
            .iter()
            .filter(|h| match h {
                Happening::Moved { car: c, .. } | Happening::Waited { car: c, .. } => *c == car,
                Happening::Light { .. } => false,
            })
            .collect();
        let waits: Vec<(usize, u32, Colour, Duration)> = mine
            .iter()
            .enumerate()
            .filter_map(|(i, h)| match h {
                Happening::Waited {
                    cycle, colour, at, ..
                } => Some((i, *cycle, *colour, *at)),
                _ => None,
            })
            .collect();
        assert_eq!(waits.len(), CYCLES as usize, "car {car} waited at each red");
        for (cycle, (i, waited_cycle, colour, at)) in (0..CYCLES).zip(waits) {
            assert_eq!(waited_cycle, cycle);
            assert_eq!(colour, Colour::Red, "it waited while the light was red");
            // At the first half tick of red: 13.5 s into the cycle.
            let red_at = CYCLE_TICKS * cycle + GREEN_TICKS + YELLOW_TICKS;
            assert_eq!(at, TICK * red_at + TICK / 2);
            // Its next movement is the moment the light turns green.
            match mine.get(i + 1) {
                Some(Happening::Moved {
                    colour: Colour::Green,
                    cycle: next,
                    at,
                    ..
                }) => {
                    assert_eq!(*next, cycle + 1);
                    assert_eq!(*at, TICK * (CYCLE_TICKS * (cycle + 1)));
                }
                other => panic!("car {car} did not go on green after waiting: {other:?}"),
            }
        }
    }
}
