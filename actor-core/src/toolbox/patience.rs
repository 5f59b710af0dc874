//! [`Patience`]: how long one operation of a tool may wait, the same whether
//! the tool is in this process or on another node (where it crosses the
//! wire, so that the exporting node keeps the time limit).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long an operation may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Patience {
    /// Not at all (`try_*`).
    None,
    /// As long as it takes.
    Forever,
    /// At most this long (`*_timeout`).
    Limit(Duration),
}

impl Patience {
    /// The time limit, as a timeout error reports it (zero when there was
    /// none).
    pub(crate) fn limit(self) -> Duration {
        match self {
            Patience::Limit(limit) => limit,
            Patience::None | Patience::Forever => Duration::ZERO,
        }
    }
}
