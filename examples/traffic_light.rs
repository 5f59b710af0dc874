//! The traffic light: a light actor drives an event, as Python's
//! `threading.Event`, and cars wait on it.
//!
//! The Python tutorial runs a `light` thread and three `car` threads around a
//! `threading.Event`. Every second the light counts: green for 10, yellow for
//! 3, red for 7, then green again. It sets the event when it turns green and
//! clears it when it turns red; on yellow the event stays set, so cars keep
//! going. Every second each car looks at the event: set, and it "is
//! running"; cleared, and it "is waiting for the red light" with
//! `event.wait()` until the light turns green.
//!
//! Here the light and the cars are actors and the event is one too
//! ([`Event`]). The light ticks on the whole ticks (0, 1, 2, ...) and a car
//! drives on the half ticks (0.5, 1.5, ...), so that a car
//! never looks at the light in the very instant it changes: a car that saw
//! yellow at 12.5 is across before the light turns red at 13. A car that finds
//! the event cleared waits on it inside its handler: that car, and only that
//! car, stands still until the light sets the event again.
//!
//! The intersection has a camera: every light change and every car movement
//! is written to one log under one lock, and a movement records the colour
//! the light shows at that moment. The example prints the story (the light's
//! colours, when each car starts running and stops to wait) and exits with a
//! non-zero status if the camera ever saw a car move on red.
//!
//! `--tick-ms N` sets the length of the tutorial's one second (default 50 ms, so
//! the three cycles below take 3 s; `--tick-ms 1000` is the tutorial's timing),
//! `--cycles N` how many full cycles the light runs, `--cars N` how many cars
//! drive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actor::prelude::*;
use actor::sync::Event;
use tokio::time::Instant;

/// Ticks of green, as in the tutorial.
pub const GREEN_TICKS: u32 = 10;
/// Ticks of yellow.
pub const YELLOW_TICKS: u32 = 3;
/// Ticks of red.
pub const RED_TICKS: u32 = 7;
/// Ticks of a full cycle.
pub const CYCLE_TICKS: u32 = GREEN_TICKS + YELLOW_TICKS + RED_TICKS;
/// The tick at which the light turns red.
const RED_AT: u32 = GREEN_TICKS + YELLOW_TICKS;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The length of one of the tutorial's seconds.
    pub tick: Duration,
    /// How many full cycles (green, yellow, red) the light runs before it
    /// turns green a last time and stops.
    pub cycles: u32,
    /// How many cars drive.
    pub cars: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tick: Duration::from_millis(50),
            cycles: 3,
            cars: 3,
        }
    }
}

/// A colour of the light.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Colour {
    /// Cars go; the event is set.
    Green,
    /// Cars still go (the tutorial keeps the event set); the light is about to
    /// turn red.
    Yellow,
    /// Cars wait; the event is cleared.
    Red,
}

/// One entry of the camera's log. `at` is the time since the start; `cycle`
/// counts the light's cycles from 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// The light changed colour.
    Light {
        colour: Colour,
        cycle: u32,
        at: Duration,
    },
    /// A car moved, while the light showed `colour`.
    Moved {
        car: usize,
        colour: Colour,
        cycle: u32,
        at: Duration,
    },
    /// A car found the event cleared and stopped to wait, while the light
    /// showed `colour`.
    Waited {
        car: usize,
        colour: Colour,
        cycle: u32,
        at: Duration,
    },
}

/// What happened.
#[derive(Debug)]
pub struct Report {
    /// The camera's log, in the order things happened.
    pub log: Vec<Happening>,
    /// Why the light stopped (normally: it ran its cycles).
    pub light: StopReason,
}

/// The camera over the intersection: one log, one lock, so that a movement
/// and a light change are always in a definite order, and every movement
/// records the colour shown at that moment.
#[derive(Clone)]
struct Intersection {
    camera: Arc<Mutex<Camera>>,
    start: Instant,
    tick: Duration,
}

struct Camera {
    colour: Colour,
    cycle: u32,
    log: Vec<Happening>,
    /// When each car last stopped to wait, and the phase it last printed a
    /// movement in (the log has every movement; the story only the first of
    /// each phase).
    waiting_since: HashMap<usize, Duration>,
    printed: HashMap<usize, (u32, Colour)>,
}

impl Intersection {
    fn new(tick: Duration) -> Self {
        Intersection {
            camera: Arc::new(Mutex::new(Camera {
                colour: Colour::Red,
                cycle: 0,
                log: Vec::new(),
                waiting_since: HashMap::new(),
                printed: HashMap::new(),
            })),
            start: Instant::now(),
            tick,
        }
    }

    fn camera(&self) -> MutexGuard<'_, Camera> {
        // A panic elsewhere cannot leave the log half-written (each entry is
        // one push), so a poisoned lock is still good to read.
        self.camera
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long until the next instant `k * tick + offset` after the start
    /// (for the light, `offset` is 0; for the cars, half a tick), strictly
    /// after now. Aimed at instants counted from one start, rather than one
    /// period after the last beat, so that a late handler delays one beat
    /// but the light's and the cars' beats never drift towards each other.
    fn until_next_beat(&self, offset: Duration) -> Duration {
        let elapsed = self.start.elapsed().as_nanos();
        let tick = self.tick.as_nanos().max(1);
        let offset = offset.as_nanos() % tick;
        let next = (elapsed + tick - offset) / tick * tick + offset;
        Duration::from_nanos(u64::try_from(next - elapsed).unwrap_or(u64::MAX))
    }

    fn ticks(&self, at: Duration) -> f64 {
        at.as_secs_f64() / self.tick.as_secs_f64()
    }

    fn light(&self, colour: Colour, cycle: u32, cycles: u32) {
        let at = self.start.elapsed();
        let mut camera = self.camera();
        camera.colour = colour;
        camera.cycle = cycle;
        camera.log.push(Happening::Light { colour, cycle, at });
        let (name, note) = match colour {
            Colour::Green if cycle == cycles => ("GREEN ", " (last: the light stops)".to_owned()),
            Colour::Green => ("GREEN ", format!(" (cycle {} of {cycles})", cycle + 1)),
            Colour::Yellow => ("YELLOW", " (the event stays set)".to_owned()),
            Colour::Red => ("RED   ", " (the event is cleared)".to_owned()),
        };
        println!("t={:5.1}  --{name} light on--{note}", self.ticks(at));
    }

    /// Records a movement of `car` and returns the colour it moved on.
    fn car_moves(&self, car: usize) -> Colour {
        let at = self.start.elapsed();
        let mut camera = self.camera();
        let (colour, cycle) = (camera.colour, camera.cycle);
        camera.log.push(Happening::Moved {
            car,
            colour,
            cycle,
            at,
        });
        let waited = camera.waiting_since.remove(&car);
        if camera.printed.insert(car, (cycle, colour)) != Some((cycle, colour)) {
            let t = self.ticks(at);
            match (colour, waited) {
                (Colour::Red, _) => println!("t={t:5.1}  car [{car}] MOVES ON RED"),
                (_, Some(since)) => println!(
                    "t={t:5.1}  car [{car}] goes, after waiting {:.1} ticks",
                    self.ticks(at - since)
                ),
                (Colour::Yellow, None) => println!("t={t:5.1}  car [{car}] is running.. (yellow)"),
                (Colour::Green, None) => println!("t={t:5.1}  car [{car}] is running.."),
            }
        }
        colour
    }

    fn car_waits(&self, car: usize) {
        let at = self.start.elapsed();
        let mut camera = self.camera();
        let (colour, cycle) = (camera.colour, camera.cycle);
        camera.log.push(Happening::Waited {
            car,
            colour,
            cycle,
            at,
        });
        camera.waiting_since.insert(car, at);
        println!(
            "t={:5.1}  car [{car}] is waiting for the red light..",
            self.ticks(at)
        );
    }

    fn log(&self) -> Vec<Happening> {
        self.camera().log.clone()
    }
}

/// The tutorial's `light()`: counts ticks and drives the event.
#[derive(Actor)]
#[actor(started = turn_green)]
struct Light {
    green: Event,
    crossing: Intersection,
    cycles: u32,
    /// Ticks into the current cycle.
    count: u32,
    cycle: u32,
}

impl Light {
    async fn turn_green(&mut self, ctx: &mut Context<Self>) -> Result<(), SyncError> {
        self.crossing.light(Colour::Green, 0, self.cycles);
        self.green.set().await?;
        ctx.send_after(Tick, self.crossing.until_next_beat(Duration::ZERO));
        Ok(())
    }

    async fn step(&mut self, ctx: &mut Context<Self>) -> Result<(), SyncError> {
        self.count += 1;
        match self.count {
            // Yellow: the tutorial leaves the event set, so cars keep going.
            GREEN_TICKS => self.crossing.light(Colour::Yellow, self.cycle, self.cycles),
            RED_AT => {
                // Cleared first, then shown: once the camera sees red, no car
                // can be let through any more.
                self.green.clear().await?;
                self.crossing.light(Colour::Red, self.cycle, self.cycles);
            }
            CYCLE_TICKS => {
                self.count = 0;
                self.cycle += 1;
                // Shown first, then set: a car woken by the event sees green.
                self.crossing.light(Colour::Green, self.cycle, self.cycles);
                self.green.set().await?;
                if self.cycle == self.cycles {
                    ctx.stop();
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The light's clock.
#[derive(Message)]
struct Tick;

impl Handler<Tick> for Light {
    async fn handle(&mut self, _: Tick, ctx: &mut Context<Self>) {
        match self.step(ctx).await {
            // Not `send_interval`: it lets a late tick push every later one
            // back, and the cars' beats are counted from the same start.
            Ok(()) => {
                ctx.send_after(Tick, self.crossing.until_next_beat(Duration::ZERO));
            }
            Err(e) => ctx.fail(format_args!("the light lost its event: {e}")),
        }
    }
}

/// The tutorial's `car(n)`.
#[derive(Actor)]
#[actor(started = start_driving)]
struct Car {
    n: usize,
    green: Event,
    crossing: Intersection,
}

impl Car {
    async fn start_driving(&mut self, ctx: &mut Context<Self>) -> Result<(), Error> {
        ctx.send_after(Drive, self.crossing.until_next_beat(self.crossing.tick / 2));
        Ok(())
    }

    /// One turn of the tutorial's loop: go if the event is set, otherwise wait
    /// for it and then go.
    async fn drive(&mut self) -> Result<(), SyncError> {
        if !self.green.is_set().await? {
            self.crossing.car_waits(self.n);
            // Only this car's handler waits here; the light and the other
            // cars carry on.
            self.green.wait().await?;
        }
        self.crossing.car_moves(self.n);
        Ok(())
    }
}

/// A car's clock.
#[derive(Message)]
struct Drive;

impl Handler<Drive> for Car {
    async fn handle(&mut self, _: Drive, ctx: &mut Context<Self>) {
        match self.drive().await {
            Ok(()) => {
                // After a wait this is the light's beat: the next half tick
                // puts the car back between the light's ticks.
                ctx.send_after(Drive, self.crossing.until_next_beat(self.crossing.tick / 2));
            }
            Err(e) => ctx.fail(format_args!("car {} lost its event: {e}", self.n)),
        }
    }
}

/// Runs the scenario and reports what the camera saw.
pub async fn run(config: Config) -> Result<Report, Error> {
    let green = Event::new();
    let crossing = Intersection::new(config.tick);
    println!(
        "a light, {} cars and an event ({}); a tick is {:?}; green {GREEN_TICKS}, yellow {YELLOW_TICKS}, red {RED_TICKS} ticks",
        config.cars,
        green.id(),
        config.tick
    );
    let light = spawn(Light {
        green: green.clone(),
        crossing: crossing.clone(),
        cycles: config.cycles,
        count: 0,
        cycle: 0,
    });
    let cars: Vec<_> = (0..config.cars)
        .map(|n| {
            spawn(Car {
                n,
                green: green.clone(),
                crossing: crossing.clone(),
            })
        })
        .collect();

    let light_stopped = light.join().await;
    // The light stopped on green, so no car is waiting: each finishes the
    // turn it is in and stops.
    for car in &cars {
        car.stop();
    }
    for car in &cars {
        car.join().await;
    }
    Ok(Report {
        log: crossing.log(),
        light: light_stopped,
    })
}

/// Reads `--tick-ms N`, `--cycles N` and `--cars N`.
fn parse_args() -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a number, not {value:?}"))?;
        match flag.as_str() {
            "--tick-ms" if number > 0 => config.tick = Duration::from_millis(number),
            "--cycles" => config.cycles = u32::try_from(number).map_err(|e| e.to_string())?,
            "--cars" => config.cars = number as usize,
            _ => return Err(format!("unknown flag or bad value: {flag} {value}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = match parse_args() {
        Ok(config) => config,
        Err(problem) => {
            eprintln!("{problem}\nusage: traffic_light [--tick-ms N] [--cycles N] [--cars N]");
            std::process::exit(2);
        }
    };
    let report = run(config.clone()).await?;

    println!("the camera's count:");
    let mut on_red = 0;
    for car in 0..config.cars {
        let (mut moves, mut waits, mut red) = (0, 0, 0);
        for happening in &report.log {
            match happening {
                Happening::Moved { car: c, colour, .. } if *c == car => {
                    moves += 1;
                    red += usize::from(*colour == Colour::Red);
                }
                Happening::Waited { car: c, .. } if *c == car => waits += 1,
                _ => {}
            }
        }
        println!("  car [{car}]: moved {moves} times, waited at {waits} red lights, moved on red {red} times");
        on_red += red;
    }
    if on_red > 0 || report.light != StopReason::Normal {
        eprintln!(
            "WRONG: {on_red} movements on red; the light stopped: {}",
            report.light
        );
        std::process::exit(1);
    }
    println!("no car moved on red");
    Ok(())
}
